"""DLT503: models are saved in the native ``.keras`` format."""

from __future__ import annotations

import ast

from dlt_lint.rule import Invalid, Rule

LEGACY_SUFFIXES = (".h5", ".hdf5", ".tf")
WEIGHTS_SUFFIX = ".weights.h5"  # the required suffix of save_weights() in Keras 3
SAVE_METHODS = frozenset({"save", "save_weights", "save_model"})
CHECKPOINT = frozenset({"keras.callbacks.ModelCheckpoint"})
SAVE_FUNCTIONS = frozenset({"keras.models.save_model", "keras.saving.save_model"})


def path_suffix(node: ast.AST | None) -> str | None:
    """The literal ending of a path expression: a string, an f-string ending in text,
    ``base + ".h5"``, ``Path(d) / "m.h5"``, ``os.path.join(d, "m.h5")``, ``str(...)``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        last = node.values[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            return last.value
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        return path_suffix(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in ("join", "Path", "PurePath", "str", "fspath", "joinpath") and node.args:
            return path_suffix(node.args[-1])
    return None


def legacy_suffix(text: str | None, weights_allowed: bool) -> str | None:
    """The legacy suffix ``text`` ends with (``.weights.h5`` allowed when asked), or None."""
    if text is None:
        return None
    lower = text.lower()
    if weights_allowed and lower.endswith(WEIGHTS_SUFFIX):
        return None
    for suffix in LEGACY_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    return None


class LegacySaveFormat(Rule):
    """
    ## What it does
    Reports saving a model in a legacy format: a `save_format=` argument, or a `.h5`,
    `.hdf5` or `.tf` path literal passed to `model.save(...)`, `model.save_weights(...)`,
    `keras.models.save_model(...)` / `keras.saving.save_model(...)` or a
    `keras.callbacks.ModelCheckpoint(...)`. Paths are recognised as strings, f-strings ending
    in text, `base + ".h5"`, `Path(d) / "m.h5"` and `os.path.join(d, "m.h5")`. The Keras 3
    weights suffix `.weights.h5` is correct for `save_weights` (and for a checkpoint with
    `save_weights_only=True`) and is not reported there.

    ## Why
    Keras 3 saves whole models in the `.keras` zip format only: `save_format` is gone, HDF5
    whole-model files are legacy, and `.tf` SavedModel directories are written with
    `model.export(...)`. Legacy saves fail or lose custom-object information.

    ## Example
    ```python
    model.save("model.h5")
    model.save("out", save_format="tf")
    ```

    ## Use instead
    ```python
    model.save("model.keras")
    model.save_weights("model.weights.h5")
    ```

    ## Fix safety
    No fix: renaming the file changes what other code and users load.
    """

    code = "DLT503"
    name = "legacy-save-format"
    summary = "Model saved with save_format= or to a .h5 / .hdf5 / .tf path"
    needles = ("save", "ModelCheckpoint")

    def visit_Call(self, node: ast.Call) -> None:
        """Check one call."""
        q = self.ctx.sem.resolve(node.func)
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if q in CHECKPOINT:
            self._check_checkpoint(node)
            return
        if q is not None:
            # An imported / module-level name: only Keras' own saving functions count
            # (numpy.save, torch.save, a project's save() are something else).
            if not (q in SAVE_FUNCTIONS or (q.startswith(("keras.", "tensorflow."))
                                            and q.rpartition(".")[2] in SAVE_METHODS)):
                return
        elif attr not in SAVE_METHODS or not isinstance(func, ast.Attribute):
            return
        for kw in node.keywords:
            if kw.arg == "save_format":
                self.report(kw, "`save_format=` is not supported by Keras 3; save to a `.keras` file")
                return
        method = q.rpartition(".")[2] if q else attr
        path = self._path_argument(node, 1 if q in SAVE_FUNCTIONS else 0)
        suffix = legacy_suffix(path_suffix(path), weights_allowed=method == "save_weights")
        if suffix is not None and path is not None:
            target = "a `.weights.h5` file" if method == "save_weights" else "a `.keras` file"
            self.report(path, f"saving to a legacy `{suffix}` path; save to {target}")

    @staticmethod
    def _path_argument(node: ast.Call, index: int) -> ast.AST | None:
        if len(node.args) > index and not isinstance(node.args[index], ast.Starred):
            return node.args[index]
        for kw in node.keywords:
            if kw.arg == "filepath":
                return kw.value
        return None

    def _check_checkpoint(self, node: ast.Call) -> None:
        weights_only = any(kw.arg == "save_weights_only" and isinstance(kw.value, ast.Constant)
                           and kw.value.value is True for kw in node.keywords)
        path = self._path_argument(node, 0)
        suffix = legacy_suffix(path_suffix(path), weights_allowed=weights_only)
        if suffix is not None and path is not None:
            target = "a `.weights.h5` file" if weights_only else "a `.keras` file"
            self.report(path, f"ModelCheckpoint saves to a legacy `{suffix}` path; save to {target}")

    VALID = [
        """
        model.save("model.keras")
        model.save_weights("model.weights.h5")
        model.save_weights(f"{run_dir}/epoch_{epoch}.weights.h5")
        model.load_weights("old.h5")
        model.export("serving", format="tf_saved_model")
        """,
        """
        import numpy as np
        import keras

        np.save("array.h5", [1, 2])
        image.save("picture.png")
        keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True)
        keras.callbacks.ModelCheckpoint("best.keras")
        """,
        # A path that is not a literal: nothing to say.
        """
        model.save(path)
        """,
        # A project function called save.
        """
        def save(path):
            return path

        save("notes.h5")
        """,
    ]
    INVALID = [
        Invalid(
            """
            model.save("model.h5")
            """,
            message_contains="legacy `.h5` path",
        ),
        Invalid(
            """
            import os
            from pathlib import Path
            from keras.models import save_model

            model.save("out", save_format="tf")
            model.save_weights(f"{out_dir}/weights.h5")
            save_model(model, os.path.join(out_dir, "model.hdf5"))
            model.save(Path(out_dir) / "export.tf")
            model.save(filepath=out_dir + "/m.H5")
            """,
            count=5,
        ),
        Invalid(
            """
            from tensorflow import keras as tfk

            callbacks = [tfk.callbacks.ModelCheckpoint(filepath="best.h5")]
            tfk.models.save_model(model, "m.h5")
            """,
            count=2,
        ),
    ]
