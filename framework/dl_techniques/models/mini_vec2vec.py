"""Mini-vec2vec: unsupervised linear alignment of two embedding spaces.

Two embedding models trained on similar data produce spaces that are close to rotations of
each other (after centering and normalisation). Given unpaired samples ``XA`` (space A) and
``XB`` (space B), :class:`MiniVec2VecAligner` finds an orthogonal matrix ``W`` such that
``XA @ W`` lands on the matching points of ``XB``, without any known pairs.

:meth:`MiniVec2VecAligner.align` runs a simplified version of the mini-vec2vec pipeline
in NumPy (the search is not gradient based, so it does not use ``fit``):

1. **Preprocessing.** Each space is centred on its mean and every row scaled to unit length.
2. **Approximate matching (anchors).** Both spaces are clustered with k-means
   (``approx_clusters`` centroids each, best of ``kmeans_restarts`` k-means++ restarts: the
   k-means objective is rotation invariant, so good optima of the two spaces tend to be
   the same partition). The centroid-to-centroid cosine similarity matrix
   of a space does not change under rotation, so matching the two similarity structures
   (a small quadratic assignment problem) pairs the clusters of A with those of B: an
   initial assignment from rotation-invariant centroid descriptors (sorted similarity
   profiles and cluster sizes, solved with the Hungarian method) is improved by pairwise
   swaps. The matched centroids are anchor pairs; orthogonal Procrustes on them gives a
   first ``W``, improved by a few rounds of centroid re-matching under the current ``W``
   and then by ``approx_polish_iterations`` nearest-neighbour Procrustes steps. This is
   repeated ``approx_runs`` times with different k-means seeds and the run whose ``W``
   gives the highest mean nearest-neighbour cosine similarity is kept.
3. **Refinement 1 (pseudo-pairs).** Repeatedly: map a random sample of A with ``W``, pair
   each mapped point with the mean of its ``refine1_neighbors`` nearest points of B, solve
   Procrustes on these pseudo-pairs and move ``W`` toward the solution
   (``W <- orth((1 - alpha) W + alpha W_new)``).
4. **Refinement 2 (cluster pairs).** Cluster B (``refine2_clusters`` centroids), assign each
   mapped A point to its nearest B centroid, pair the mean of every A group with its B
   centroid and apply one smoothed Procrustes update.

``W`` stays orthogonal throughout; the best ``W`` seen (by the similarity score) is stored
in the model. ``model(x)`` then computes ``x @ W``; it is meant for embeddings preprocessed
like the training data (see :func:`center_and_normalize`), though for a pure rotation it
maps raw embeddings as well.

Limits: the rotation is only identifiable when the data has structure (isotropic Gaussian
clouds look the same under every rotation). Anchor matching works best when
``approx_clusters`` is close to the number of natural groups in the data and, ideally, not
smaller than the embedding dimension; more ``approx_runs`` make a good start more likely.
This is a compact re-implementation, not the reference code of the paper.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import keras
import numpy as np
from keras import ops

from dl_techniques.models._checks import check_positive_int
from dl_techniques.utils.logger import logger

_EPS = 1e-12
_SCORE_SAMPLE = 2000  # rows of A / B used to score a candidate W
_CENTROID_REMATCH_ROUNDS = 5
_MAX_SWAPS_PER_CENTROID = 5


def center_and_normalize(x: np.ndarray) -> np.ndarray:
    """Subtract the column mean and scale every row to unit L2 norm.

    :param x: ``(n_samples, dim)`` embeddings.
    :return: float64 array of the same shape.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _EPS)


def procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Orthogonal ``W`` minimising ``||source @ W - target||_F`` (``W = U V^T`` of ``source^T target``).

    :param source: ``(n, dim)`` points.
    :param target: ``(n, dim)`` points paired row by row with ``source``.
    :return: ``(dim, dim)`` orthogonal matrix.
    """
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def _orthogonalize(w: np.ndarray) -> np.ndarray:
    """Nearest orthogonal matrix (polar factor) of ``w``."""
    u, _, vt = np.linalg.svd(w)
    return u @ vt


def linear_assignment(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost perfect matching of a square cost matrix (Hungarian method, O(n^3)).

    :param cost: ``(n, n)`` costs.
    :return: ``assignment`` with row ``i`` matched to column ``assignment[i]``.
    """
    cost = np.asarray(cost, dtype=np.float64)
    n = cost.shape[0]
    if cost.shape != (n, n):
        raise ValueError(f"linear_assignment needs a square cost matrix, got shape {cost.shape}")
    u = np.zeros(n + 1)
    v = np.zeros(n + 1)
    owner = np.zeros(n + 1, dtype=np.int64)  # owner[j]: row (1-based) matched to column j
    way = np.zeros(n + 1, dtype=np.int64)
    for row in range(1, n + 1):
        owner[0] = row
        col0 = 0
        min_slack = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, dtype=bool)
        while True:
            used[col0] = True
            row0 = owner[col0]
            free = ~used[1:]
            reduced = cost[row0 - 1] - u[row0] - v[1:]
            better = free & (reduced < min_slack[1:])
            min_slack[1:][better] = reduced[better]
            way[1:][better] = col0
            candidates = np.where(free, min_slack[1:], np.inf)
            col1 = int(np.argmin(candidates)) + 1
            delta = candidates[col1 - 1]
            u[owner[used]] += delta
            v[used] -= delta
            min_slack[~used] -= delta
            col0 = col1
            if owner[col0] == 0:
                break
        while col0 != 0:
            col1 = way[col0]
            owner[col0] = owner[col1]
            col0 = col1
    assignment = np.empty(n, dtype=np.int64)
    assignment[owner[1:] - 1] = np.arange(n)
    return assignment


def _lloyd(x: np.ndarray, centers: np.ndarray, iterations: int) -> Tuple[np.ndarray, np.ndarray, float]:
    """Lloyd iterations from ``centers``; returns ``(centers, labels, inertia)``."""
    num_clusters = centers.shape[0]
    sq_norms = np.einsum("ij,ij->i", x, x)
    labels = np.full(x.shape[0], -1, dtype=np.int64)
    for _ in range(iterations):
        dist = sq_norms[:, None] - 2.0 * x @ centers.T + np.einsum("ij,ij->i", centers, centers)[None, :]
        new_labels = np.argmin(dist, axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        one_hot = np.zeros((x.shape[0], num_clusters))
        one_hot[np.arange(x.shape[0]), labels] = 1.0
        counts = one_hot.sum(axis=0)
        sums = one_hot.T @ x
        filled = counts > 0
        centers[filled] = sums[filled] / counts[filled, None]
    inertia = float(np.sum((x - centers[labels]) ** 2))
    return centers, labels, inertia


def kmeans(
    x: np.ndarray, num_clusters: int, rng: np.random.Generator, iterations: int = 25, n_init: int = 1
) -> Tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding; the lowest-inertia of ``n_init`` restarts wins.

    The k-means objective does not change under rotation, so the more restarts, the more
    likely two rotated copies of a data set end up with the same partition.

    :param x: ``(n, dim)`` points, ``n >= num_clusters``.
    :param num_clusters: number of centroids.
    :param rng: random generator (seeding).
    :param iterations: maximum Lloyd iterations per restart.
    :param n_init: number of restarts.
    :return: ``(centroids (num_clusters, dim), labels (n,))``.
    """
    n = x.shape[0]
    best: Optional[Tuple[np.ndarray, np.ndarray, float]] = None
    for _ in range(n_init):
        centers = np.empty((num_clusters, x.shape[1]))
        centers[0] = x[rng.integers(n)]
        closest = np.sum((x - centers[0]) ** 2, axis=1)
        for index in range(1, num_clusters):
            total = closest.sum()
            probs = closest / total if total > 0 else None
            centers[index] = x[rng.choice(n, p=probs)]
            closest = np.minimum(closest, np.sum((x - centers[index]) ** 2, axis=1))
        result = _lloyd(x, centers, iterations)
        if best is None or result[2] < best[2]:
            best = result
    return best[0], best[1]


def _swap_gains(sim_a: np.ndarray, sim_b_perm: np.ndarray) -> np.ndarray:
    """Change of ``sum(sim_a * sim_b_perm)`` for swapping the matches of every pair ``(i, j)``.

    Both matrices are symmetric; ``sim_b_perm`` is ``sim_b`` with rows and columns already
    permuted by the current matching. Entry ``(i, j)`` is the objective change when the B
    partners of ``i`` and ``j`` are exchanged (the diagonal is zero).
    """
    cross = sim_a @ sim_b_perm.T
    diag_cross = np.diag(cross)
    diag_a, diag_b = np.diag(sim_a), np.diag(sim_b_perm)
    # sum over all k of (A[i,k] - A[j,k]) * (B[j,k] - B[i,k]) ...
    total = cross + cross.T - diag_cross[:, None] - diag_cross[None, :]
    # ... minus its k = i and k = j terms, which the swap treats separately.
    term_i = (diag_a[:, None] - sim_a) * (sim_b_perm - diag_b[:, None])
    term_j = (sim_a - diag_a[None, :]) * (diag_b[None, :] - sim_b_perm)
    gains = 2.0 * (total - term_i - term_j) + (diag_a[:, None] - diag_a[None, :]) * (
        diag_b[None, :] - diag_b[:, None]
    )
    np.fill_diagonal(gains, 0.0)
    return gains


def match_centroids(
    centroids_a: np.ndarray, centroids_b: np.ndarray, sizes_a: np.ndarray, sizes_b: np.ndarray
) -> np.ndarray:
    """Pair the centroids of two spaces by their rotation-invariant similarity structure.

    :param centroids_a: ``(k, dim)`` centroids of space A.
    :param centroids_b: ``(k, dim)`` centroids of space B.
    :param sizes_a: ``(k,)`` cluster sizes in A.
    :param sizes_b: ``(k,)`` cluster sizes in B.
    :return: ``perm`` with centroid ``i`` of A matched to centroid ``perm[i]`` of B.
    """
    unit_a = centroids_a / np.maximum(np.linalg.norm(centroids_a, axis=1, keepdims=True), _EPS)
    unit_b = centroids_b / np.maximum(np.linalg.norm(centroids_b, axis=1, keepdims=True), _EPS)
    sim_a, sim_b = unit_a @ unit_a.T, unit_b @ unit_b.T
    k = sim_a.shape[0]

    def describe(sim: np.ndarray, sizes: np.ndarray, norms: np.ndarray) -> np.ndarray:
        profile = -np.sort(-(sim - 2.0 * np.eye(k)), axis=1)[:, : k - 1]
        frac = sizes / max(float(np.sum(sizes)), 1.0)
        return np.concatenate([profile, frac[:, None] * k, norms[:, None]], axis=1)

    desc_a = describe(sim_a, sizes_a, np.linalg.norm(centroids_a, axis=1))
    desc_b = describe(sim_b, sizes_b, np.linalg.norm(centroids_b, axis=1))
    cost = np.sum((desc_a[:, None, :] - desc_b[None, :, :]) ** 2, axis=-1)
    perm = linear_assignment(cost)

    # Best-improvement pairwise swaps on the quadratic assignment objective
    # sum_ij sim_a[i, j] * sim_b[perm[i], perm[j]].
    for _ in range(_MAX_SWAPS_PER_CENTROID * k):
        gains = _swap_gains(sim_a, sim_b[np.ix_(perm, perm)])
        i, j = np.unravel_index(int(np.argmax(gains)), gains.shape)
        if gains[i, j] <= 1e-10:
            break
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _similarity_score(mapped_a: np.ndarray, b: np.ndarray) -> float:
    """Mean over ``mapped_a`` rows of the best cosine similarity to a row of ``b``."""
    return float(np.mean(np.max(mapped_a @ b.T, axis=1)))


@keras.saving.register_keras_serializable(package="dl_techniques")
class MiniVec2VecAligner(keras.Model):
    """Linear map ``x -> x @ W`` between two embedding spaces, fitted by :meth:`align`.

    ``W`` is a trainable ``(embedding_dim, embedding_dim)`` weight created in :meth:`build`
    as the identity; :meth:`align` replaces it by the orthogonal matrix found with the
    mini-vec2vec procedure (see the module docstring). Being a normal Keras weight, ``W``
    is saved with the model and may be fine-tuned with gradients afterwards.

    Call: ``model(x)`` with ``x`` ``(batch, embedding_dim)`` (or ``(..., embedding_dim)``);
    returns ``x @ W`` of the same shape.

    :param embedding_dim: dimension of both embedding spaces.
    :param kwargs: base ``keras.Model`` arguments.
    """

    def __init__(self, embedding_dim: int, **kwargs: Any) -> None:
        """Store the dimension; ``W`` is created in :meth:`build`."""
        super().__init__(**kwargs)
        check_positive_int("embedding_dim", embedding_dim)
        self.embedding_dim = embedding_dim
        self.W = None

    def build(self, input_shape: Tuple[Optional[int], ...]) -> None:
        """Create ``W`` (identity) after checking the feature dimension."""
        input_shape = tuple(input_shape)
        if not input_shape or input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"MiniVec2VecAligner expects inputs (..., {self.embedding_dim}), got {input_shape}"
            )
        self.W = self.add_weight(
            name="transformation_matrix",
            shape=(self.embedding_dim, self.embedding_dim),
            initializer="identity",
            trainable=True,
        )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        """Map ``inputs`` with ``W``.

        :param inputs: ``(..., embedding_dim)`` embeddings of space A.
        :return: ``inputs @ W`` in space B.
        """
        return ops.matmul(inputs, ops.cast(self.W, inputs.dtype))

    def compute_output_shape(self, input_shape: Tuple[Optional[int], ...]) -> Tuple[Optional[int], ...]:
        """The output has the input's shape."""
        return tuple(input_shape)

    def _check_align_inputs(self, xa: Any, xb: Any, min_rows: int) -> Tuple[np.ndarray, np.ndarray]:
        """Validate the two embedding matrices and return them as float64 arrays."""
        arrays = []
        for name, x in (("XA", xa), ("XB", xb)):
            array = np.asarray(x, dtype=np.float64)
            if array.ndim != 2 or array.shape[1] != self.embedding_dim:
                raise ValueError(
                    f"{name} must have shape (n_samples, {self.embedding_dim}), got {array.shape}"
                )
            if array.shape[0] < min_rows:
                raise ValueError(f"{name} needs at least {min_rows} rows (the cluster counts), got {array.shape[0]}")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{name} contains non-finite values")
            arrays.append(array)
        return arrays[0], arrays[1]

    def align(
        self,
        XA: np.ndarray,
        XB: np.ndarray,
        approx_clusters: int = 20,
        approx_runs: int = 20,
        approx_polish_iterations: int = 10,
        kmeans_iterations: int = 25,
        kmeans_restarts: int = 5,
        refine1_iterations: int = 20,
        refine1_sample_size: int = 2000,
        refine1_neighbors: int = 1,
        refine2_clusters: int = 20,
        smoothing_alpha: float = 0.5,
        seed: int = 0,
    ) -> Dict[str, Any]:
        """Fit ``W`` so that ``XA @ W`` matches ``XB`` without paired samples.

        Runs preprocessing, approximate anchor matching, pseudo-pair refinement and
        cluster-pair refinement (module docstring) and stores the best ``W`` in the model.

        :param XA: source embeddings ``(n_a, embedding_dim)``.
        :param XB: target embeddings ``(n_b, embedding_dim)`` (unpaired with ``XA``).
        :param approx_clusters: k-means centroids per space for anchor matching.
        :param approx_runs: independent anchor-matching runs; the best one is kept.
        :param approx_polish_iterations: nearest-neighbour Procrustes steps applied to each
            run's anchor solution before it is scored (0 scores the raw anchor solution).
        :param kmeans_iterations: maximum Lloyd iterations per k-means.
        :param kmeans_restarts: k-means++ restarts per clustering (lowest inertia wins).
        :param refine1_iterations: pseudo-pair refinement steps (0 skips the stage).
        :param refine1_sample_size: rows of A sampled per refinement step.
        :param refine1_neighbors: nearest B points averaged into each pseudo-target.
        :param refine2_clusters: B centroids of the cluster refinement (0 skips the stage).
        :param smoothing_alpha: step size of the refinement updates, in ``(0, 1]``.
        :param seed: seed of all random choices.
        :return: history dict: ``approx_run_scores`` (score per run), ``approx_score``,
            ``refine1_scores`` (score after each step), ``refine2_score`` (``None`` when
            skipped), ``final_score`` and ``best_stage``. A score is the mean cosine
            similarity of mapped A points to their nearest B points.
        :raises ValueError: for malformed inputs or parameters.
        """
        for name, value in (
            ("approx_clusters", approx_clusters),
            ("approx_runs", approx_runs),
            ("kmeans_iterations", kmeans_iterations),
            ("kmeans_restarts", kmeans_restarts),
            ("refine1_sample_size", refine1_sample_size),
            ("refine1_neighbors", refine1_neighbors),
        ):
            check_positive_int(name, value)
        for name, value in (
            ("approx_polish_iterations", approx_polish_iterations),
            ("refine1_iterations", refine1_iterations),
            ("refine2_clusters", refine2_clusters),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if isinstance(smoothing_alpha, bool) or not 0.0 < float(smoothing_alpha) <= 1.0:
            raise ValueError(f"smoothing_alpha must be in (0, 1], got {smoothing_alpha!r}")
        xa, xb = self._check_align_inputs(XA, XB, max(approx_clusters, refine2_clusters, refine1_neighbors))
        if not self.built:
            self.build((None, self.embedding_dim))

        rng = np.random.default_rng(seed)
        a, b = center_and_normalize(xa), center_and_normalize(xb)
        score_a = a[rng.choice(len(a), size=min(len(a), _SCORE_SAMPLE), replace=False)]
        score_b = b[rng.choice(len(b), size=min(len(b), _SCORE_SAMPLE), replace=False)]

        def score(w: np.ndarray) -> float:
            return _similarity_score(score_a @ w, score_b)

        # Stage 1: anchors from matched k-means centroids + Procrustes.
        run_scores: List[float] = []
        best_w, best_score = np.eye(self.embedding_dim), -np.inf
        for _ in range(approx_runs):
            centroids_a, labels_a = kmeans(a, approx_clusters, rng, kmeans_iterations, kmeans_restarts)
            centroids_b, labels_b = kmeans(b, approx_clusters, rng, kmeans_iterations, kmeans_restarts)
            sizes_a = np.bincount(labels_a, minlength=approx_clusters)
            sizes_b = np.bincount(labels_b, minlength=approx_clusters)
            perm = match_centroids(centroids_a, centroids_b, sizes_a, sizes_b)
            w = procrustes(centroids_a, centroids_b[perm])
            for _ in range(_CENTROID_REMATCH_ROUNDS):
                rematch = linear_assignment(-(centroids_a @ w) @ centroids_b.T)
                if np.array_equal(rematch, perm):
                    break
                perm = rematch
                w = procrustes(centroids_a, centroids_b[perm])
            for _ in range(approx_polish_iterations):
                w = procrustes(score_a, score_b[np.argmax((score_a @ w) @ score_b.T, axis=1)])
            run_score = score(w)
            run_scores.append(run_score)
            if run_score > best_score:
                best_w, best_score = w, run_score
        w = best_w
        history: Dict[str, Any] = {
            "approx_run_scores": run_scores,
            "approx_score": best_score,
            "refine1_scores": [],
            "refine2_score": None,
        }
        best_stage = "approx"
        logger.info("mini-vec2vec: anchor matching score %.4f (best of %d runs)", best_score, approx_runs)

        # Stage 2: Procrustes on nearest-neighbour pseudo-pairs, smoothed.
        alpha = float(smoothing_alpha)
        sample_size = min(refine1_sample_size, len(a))
        for _ in range(refine1_iterations):
            sample = a[rng.choice(len(a), size=sample_size, replace=False)]
            sims = (sample @ w) @ b.T
            if refine1_neighbors == 1:
                targets = b[np.argmax(sims, axis=1)]
            else:
                top = np.argpartition(-sims, refine1_neighbors - 1, axis=1)[:, :refine1_neighbors]
                targets = b[top].mean(axis=1)
            w = _orthogonalize((1.0 - alpha) * w + alpha * procrustes(sample, targets))
            step_score = score(w)
            history["refine1_scores"].append(step_score)
            if step_score > best_score:
                best_w, best_score, best_stage = w, step_score, "refine1"

        # Stage 3: pair the mean of every A group with its B centroid.
        if refine2_clusters > 0:
            centroids_b, _ = kmeans(b, refine2_clusters, rng, kmeans_iterations, kmeans_restarts)
            labels = np.argmax((a @ w) @ centroids_b.T, axis=1)
            groups = np.unique(labels)
            means_a = np.stack([a[labels == group].mean(axis=0) for group in groups])
            w = _orthogonalize((1.0 - alpha) * w + alpha * procrustes(means_a, centroids_b[groups]))
            history["refine2_score"] = score(w)
            if history["refine2_score"] > best_score:
                best_w, best_score, best_stage = w, history["refine2_score"], "refine2"

        self.W.assign(best_w.astype(keras.backend.standardize_dtype(self.W.dtype)))
        history["final_score"] = best_score
        history["best_stage"] = best_stage
        logger.info("mini-vec2vec: final score %.4f (from stage %s)", best_score, best_stage)
        return history

    def get_config(self) -> Dict[str, Any]:
        """Serializable configuration (every constructor argument)."""
        config = super().get_config()
        config.update({"embedding_dim": self.embedding_dim})
        return config
