"""Subprocess side of the serialization validator (run as ``python -m dlt_agent._validate_worker``).

Two modes, each in its own, fresh process with ``KERAS_BACKEND`` set by the parent:

``zygote SPEC`` (default where ``os.fork`` exists)
    import Keras once, fork a child that does ``run``, then fork another child that does the
    loading; the loading child is a copy of the parent from before any target module was
    imported, so it is as fresh as a new interpreter, without paying the Keras import twice.
``run SPEC``
    import the target modules, and for every Keras class: instantiate it with arguments
    inferred from standard parameter names, build, check that ``build`` built the
    sub-layers, call, ``get_config`` -> ``from_config`` (same outputs with the same weights),
    and save a model holding the layer to ``.keras`` together with its inputs and outputs.
``load MODULES`` (spawn fallback for ``run``; ``zygote`` does the same in its second child)
    import the modules (as any user of the layer would, so their classes register), then
    read the saved jobs from stdin, ``load_model`` each file and compare its outputs with
    the saved ones.

Everything the parent needs is printed on stdout as lines starting with ``@@DLT@@ `` followed
by JSON: ``stage`` events (so a time-out can be attributed to a stage) and ``result`` records.
This module must stay importable without the rest of dlt_agent's dependencies.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

MARK = "@@DLT@@ "
ATOL = 1e-6
SEQ_LEN = 8
BATCH = 2

# Values for required constructor parameters, by their standard names.
STANDARD_ARGS: dict[str, Any] = {
    "dim": 32,
    "num_heads": 4,
    "head_dim": 8,
    "hidden_dim": 64,
    "output_dim": 32,
    "num_kv_heads": 2,
    "window_size": 4,
    "max_seq_len": 16,
    "vocab_size": 50,
    "epsilon": 1e-6,
    "units": 32,
    "input_dim": 32,
    "embed_dim": 32,
    "hidden_size": 32,
    "d_model": 32,
    "channels": 32,
    "filters": 8,
    "kernel_size": 3,
    "num_layers": 2,
    "num_classes": 10,
    "ndim": 2,
    "seq_len": SEQ_LEN,
    "sequence_length": SEQ_LEN,
    "intermediate_size": 64,
    "ffn_dim": 64,
    "mlp_dim": 64,
    "key_dim": 8,
    "value_dim": 8,
    "num_experts": 2,
    "top_k": 1,
    "pool_size": 2,
    "patch_size": 2,
    "max_len": 16,
    "num_groups": 4,
    "groups": 4,
    "rate": 0.0,
    "dropout_rate": 0.0,
    "axis": -1,
    "depth": 2,
    "expansion_factor": 2,
    "ffn_expansion_factor": 2,
}
_WIDTH_NAMES = ("dim", "input_dim", "embed_dim", "hidden_size", "d_model", "channels", "units")

STAGES = ("import", "instantiate", "build", "call", "config", "save", "load", "compare")


def emit(event: str, **data: Any) -> None:
    """One protocol line on stdout."""
    sys.stdout.write(MARK + json.dumps({"event": event, **data}, default=str) + "\n")
    sys.stdout.flush()


def _error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    text = " ".join(text.split())
    return text[:1500]


# --------------------------------------------------------------------------- discovery
def keras_classes(module: Any, class_name: str | None) -> list[type]:
    """The named class, or every concrete Keras layer / model class defined in ``module``."""
    import keras

    if class_name:
        obj = getattr(module, class_name, None)
        if obj is None:
            raise LookupError(f"module {module.__name__} has no attribute {class_name!r}")
        if not (inspect.isclass(obj) and issubclass(obj, keras.layers.Layer)):
            raise LookupError(f"{module.__name__}.{class_name} is not a Keras layer or model class")
        return [obj]
    out = []
    for name, obj in vars(module).items():
        if (
            inspect.isclass(obj)
            and obj.__module__ == module.__name__
            and issubclass(obj, keras.layers.Layer)
            and not name.startswith("_")
            and not inspect.isabstract(obj)
        ):
            out.append(obj)
    return out


def init_parameters(cls: type) -> list[inspect.Parameter]:
    """Constructor parameters without ``self`` / ``*args`` / ``**kwargs``."""
    sig = inspect.signature(cls.__init__)
    return [
        p
        for name, p in sig.parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def constructor_args(cls: type, overrides: dict[str, Any]) -> dict[str, Any]:
    """Arguments for ``cls``: standard values for required parameters, plus ``overrides``."""
    args: dict[str, Any] = {}
    missing = []
    for p in init_parameters(cls):
        if p.name in overrides:
            args[p.name] = overrides[p.name]
        elif p.default is inspect.Parameter.empty:
            if p.name in STANDARD_ARGS:
                args[p.name] = STANDARD_ARGS[p.name]
            else:
                missing.append(p.name)
    if missing:
        raise TypeError(
            f"cannot infer a value for required parameter(s) {', '.join(missing)} "
            "(pass --arg NAME=VALUE)"
        )
    return args


def input_candidates(cls: type, args: dict[str, Any]) -> list[tuple[str, Any]]:
    """Plausible inputs for the layer, most likely first."""
    import numpy as np

    rng = np.random.default_rng(0)
    names = {p.name for p in init_parameters(cls)}
    defaults = {p.name: p.default for p in init_parameters(cls) if p.default is not inspect.Parameter.empty}
    values = {**defaults, **args}
    width = next((values[n] for n in _WIDTH_NAMES if isinstance(values.get(n), int) and values[n] > 0), 32)
    heads = values.get("num_heads") if isinstance(values.get("num_heads"), int) else 4
    head_dim = values.get("head_dim") if isinstance(values.get("head_dim"), int) else 8
    out: list[tuple[str, Any]] = []
    if "vocab_size" in names and isinstance(values.get("vocab_size"), int):
        ids = rng.integers(0, values["vocab_size"], size=(BATCH, SEQ_LEN)).astype("int32")
        out.append(("token ids (2, 8)", ids))
    rope_like = "head_dim" in names and not names & set(_WIDTH_NAMES)
    rope_input = ("rotary (2, heads, 8, head_dim)", rng.standard_normal((BATCH, heads, SEQ_LEN, head_dim)).astype("float32"))
    if rope_like:
        out.append(rope_input)
    out.append((f"sequence (2, 8, {width})", rng.standard_normal((BATCH, SEQ_LEN, width)).astype("float32")))
    if not rope_like and "head_dim" in names:
        out.append(rope_input)
    out.append((f"features (2, {width})", rng.standard_normal((BATCH, width)).astype("float32")))
    out.append((f"image (2, 8, 8, {width})", rng.standard_normal((BATCH, SEQ_LEN, SEQ_LEN, width)).astype("float32")))
    return out


def as_list(outputs: Any) -> list[Any]:
    """Outputs of a call as a flat list of NumPy arrays."""
    import keras
    import numpy as np

    if isinstance(outputs, dict):
        outputs = [outputs[k] for k in sorted(outputs)]
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    flat = []
    for o in outputs:
        if isinstance(o, (list, tuple, dict)):
            flat.extend(as_list(o))
        else:
            flat.append(np.asarray(keras.ops.convert_to_numpy(o)))
    return flat


def max_diff(a: list[Any], b: list[Any]) -> tuple[bool, str]:
    """(equal within ATOL/RTOL, description)."""
    import numpy as np

    if len(a) != len(b):
        return False, f"{len(a)} outputs before, {len(b)} after"
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return False, f"output shape {x.shape} before, {y.shape} after"
        if not np.allclose(x, y, rtol=ATOL, atol=ATOL, equal_nan=True):
            worst = max(worst, float(np.max(np.abs(x.astype("float64") - y.astype("float64")))))
    if worst:
        return False, f"max |difference| = {worst:.3g} (tolerance {ATOL:g})"
    return True, ""


def _attribute_name(layer: Any, sub: Any) -> str:
    """``self.<attr>`` (or ``self.<attr>[i]``) under which ``layer`` holds ``sub``, else its name."""
    items = sorted(vars(layer).items(), key=lambda kv: kv[0].startswith("_"))  # public names first
    for attr, value in items:
        if value is sub:
            return f"self.{attr}"
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if item is sub:
                    return f"self.{attr}[{i}]"
    return repr(sub.name)


def _call(layer: Any, x: Any) -> Any:
    try:
        params = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        params = {}
    if "training" in params:
        return layer(x, training=False)
    return layer(x)


# --------------------------------------------------------------------------- run mode
class StageFailure(Exception):
    """A stage failed; ``stage`` names it."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


def _where(cls: type) -> tuple[str | None, int]:
    try:
        lines, start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None, 1
    offset = next((i for i, line in enumerate(lines) if line.lstrip().startswith("class ")), 0)
    return inspect.getsourcefile(cls), start + offset


def check_class(cls: type, overrides: dict[str, Any], outdir: Path, job_id: str) -> dict[str, Any]:
    """Run the in-process stages for ``cls``; returns a result record with a job for loading."""
    import keras
    import numpy as np

    ident = {"module": cls.__module__, "class": cls.__name__}
    passed: list[str] = []

    def stage(name: str) -> None:
        emit("stage", stage=name, **ident)

    stage("instantiate")
    try:
        args = constructor_args(cls, overrides)
        layer = cls(**args)
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("instantiate", _error(exc)) from exc
    passed.append("instantiate")

    # Build + call with the first input that works.
    first_failure: StageFailure | None = None
    chosen = None
    for label, x in input_candidates(cls, args):
        if chosen is not None:
            break
        try:
            candidate = layer if first_failure is None else cls(**args)
        except Exception as exc:  # noqa: BLE001
            raise StageFailure("instantiate", _error(exc)) from exc
        stage("build")
        try:
            candidate.build(tuple(x.shape))
        except Exception as exc:  # noqa: BLE001
            first_failure = first_failure or StageFailure("build", f"build{tuple(x.shape)} with {label} input: {_error(exc)}")
            continue
        unbuilt = [sub for sub in candidate._flatten_layers(include_self=False, recursive=True) if not sub.built]
        stage("call")
        try:
            outputs = as_list(_call(candidate, x))
        except Exception as exc:  # noqa: BLE001
            first_failure = first_failure or StageFailure("call", f"call with {label} input: {_error(exc)}")
            continue
        lazy = [_attribute_name(candidate, sub) for sub in unbuilt if sub.weights]
        if lazy:
            raise StageFailure(
                "build",
                f"build() does not build sub-layer(s) {', '.join(lazy)}: they create their weights "
                "only when first called, so a loaded model cannot restore them",
            )
        chosen = (label, x, candidate, outputs)
    if chosen is None:
        assert first_failure is not None
        raise first_failure
    label, x, layer, outputs = chosen
    passed += ["build", "call"]

    stage("config")
    try:
        config = layer.get_config()
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("config", f"get_config() raised {_error(exc)}") from exc
    params = [p.name for p in init_parameters(cls)]
    omitted = [p for p in params if p not in config]
    if omitted:
        raise StageFailure("config", f"get_config() omits __init__ parameter(s): {', '.join(omitted)}")
    try:
        json.dumps(keras.saving.serialize_keras_object(layer))
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("config", f"the config is not JSON-serializable: {_error(exc)}") from exc
    try:
        clone = cls.from_config(config)
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("config", f"from_config(get_config()) raised {_error(exc)}") from exc
    try:
        clone.build(tuple(x.shape))
        _call(clone, x)
        clone.set_weights(layer.get_weights())
        clone_outputs = as_list(_call(clone, x))
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("config", f"the layer rebuilt by from_config cannot take the original weights: {_error(exc)}") from exc
    same, why = max_diff(outputs, clone_outputs)
    if not same:
        raise StageFailure("config", f"the layer rebuilt by from_config(get_config()) computes different outputs: {why}")
    try:
        clone_config = clone.get_config()
        changed = [p for p in params if json.dumps(clone_config.get(p), sort_keys=True, default=repr)
                   != json.dumps(config.get(p), sort_keys=True, default=repr)]
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("config", f"get_config() of the rebuilt layer raised {_error(exc)}") from exc
    if changed:
        raise StageFailure("config", f"get_config() -> from_config() does not preserve: {', '.join(changed)}")
    passed.append("config")

    stage("save")
    keras_path = outdir / f"{job_id}.keras"
    io_path = outdir / f"{job_id}.npz"
    try:
        symbolic = keras.Input(shape=x.shape[1:], dtype=str(x.dtype))
        model = keras.Model(symbolic, layer(symbolic))
        reference = as_list(model(x, training=False))
        model.save(keras_path)
        np.savez(io_path, x=x, **{f"y{i}": y for i, y in enumerate(reference)})
    except Exception as exc:  # noqa: BLE001
        raise StageFailure("save", _error(exc)) from exc
    passed.append("save")
    return {"passed": passed, "input": label, "job": {"keras_path": str(keras_path), "io_path": str(io_path)}}


def factory_check(check: dict[str, Any]) -> str | None:
    """Create ``check["key"]`` through the factory; an error message or ``None``."""
    try:
        module = importlib.import_module(check["module"])
        function = getattr(module, check["function"])
        layer = function(check["key"], **check.get("kwargs", {}))
    except Exception as exc:  # noqa: BLE001
        return f"{check['function']}({check['key']!r}, ...) raised {_error(exc)}"
    cls = type(layer)
    if cls.__name__ != check["class"] or cls.__module__ != check["class_module"]:
        return (f"{check['function']}({check['key']!r}, ...) created {cls.__module__}.{cls.__name__}, "
                f"expected {check['class_module']}.{check['class']}")
    return None


def run(spec_path: str) -> int:
    """``run`` mode: the in-process stages; saved models are listed in ``<outdir>/jobs.jsonl``."""
    spec = json.loads(Path(spec_path).read_text())
    outdir = Path(spec["outdir"])
    overrides = spec.get("args", {})
    jobs_file = outdir / "jobs.jsonl"
    for t_index, target in enumerate(spec["targets"]):
        emit("stage", stage="import", module=target["module"], **{"class": target.get("class")})
        try:
            import keras  # noqa: F401  (part of the import stage)

            module = importlib.import_module(target["module"])
            classes = keras_classes(module, target.get("class"))
        except BaseException as exc:  # noqa: BLE001 - SystemExit in a module is an import failure too
            emit("result", module=target["module"], **{"class": target.get("class")}, file=target.get("path"),
                 line=1, failure={"stage": "import", "message": _error(exc)}, passed=[])
            continue
        if not classes:
            emit("result", module=target["module"], **{"class": None}, file=target.get("path") or getattr(module, "__file__", None),
                 line=1, failure=None, passed=[], note="no Keras layer or model class defined here")
            continue
        for c_index, cls in enumerate(classes):
            file, line = _where(cls)
            base = {"module": cls.__module__, "class": cls.__name__, "file": file, "line": line}
            try:
                record = check_class(cls, overrides, outdir, f"t{t_index}_c{c_index}")
            except StageFailure as failure:
                emit("result", **base, failure={"stage": failure.stage, "message": failure.message}, passed=[])
                continue
            except BaseException as exc:  # noqa: BLE001
                emit("result", **base, failure={"stage": "instantiate", "message": _error(exc)}, passed=[],
                     trace=traceback.format_exc()[-2000:])
                continue
            emit("result", **base, failure=None, **record)
            with open(jobs_file, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({**record["job"], **base}) + "\n")
    for check in spec.get("factory_checks", []):
        emit("stage", stage="factory", module=check["module"], **{"class": check["class"]})
        message = factory_check(check)
        emit("factory", key=check["key"], module=check["module"], **{"class": check["class"]}, failure=message)
    emit("run-done")
    return 0


# --------------------------------------------------------------------------- load mode
def load_jobs(modules: list[str], jobs: list[dict[str, Any]]) -> int:
    """Import ``modules`` (so their classes register), then load and compare every job."""
    import keras
    import numpy as np

    import_errors: dict[str, str] = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001
            import_errors[name] = _error(exc)
    for job in jobs:
        ident = {"module": job["module"], "class": job["class"]}
        emit("stage", stage="load", **ident)
        if job["module"] in import_errors:
            emit("loaded", **ident, failure={"stage": "load", "message": f"importing {job['module']} in a fresh process failed: {import_errors[job['module']]}"})
            continue
        try:
            model = keras.models.load_model(job["keras_path"])
        except Exception as exc:  # noqa: BLE001
            emit("loaded", **ident, failure={"stage": "load", "message": _error(exc)})
            continue
        emit("stage", stage="compare", **ident)
        try:
            data = np.load(job["io_path"])
            reference = [data[f"y{i}"] for i in range(len(data.files) - 1)]
            outputs = as_list(model(data["x"], training=False))
        except Exception as exc:  # noqa: BLE001
            emit("loaded", **ident, failure={"stage": "compare", "message": f"calling the loaded model raised {_error(exc)}"})
            continue
        same, why = max_diff(reference, outputs)
        emit("loaded", **ident, failure=None if same else {"stage": "compare", "message": f"outputs change after save/load: {why}"})
    emit("load-done")
    return 0


def read_jobs(outdir: Path) -> list[dict[str, Any]]:
    """Jobs written by ``run`` (missing file: none)."""
    path = outdir / "jobs.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load(modules_json: str) -> int:
    """``load`` mode (spawn fallback): import the modules, then jobs from stdin."""
    import keras  # noqa: F401

    modules = json.loads(modules_json)
    jobs = json.loads(sys.stdin.read() or "[]")
    return load_jobs(modules, jobs)


def _fork_and_wait(fn: Any, *args: Any) -> int:
    """Run ``fn(*args)`` in a forked child (a copy of this still layer-free process)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            code = fn(*args)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def zygote(spec_path: str) -> int:
    """``zygote`` mode: import Keras once, then fork the run child and, after it, the load child.

    The load child is a copy of this process as it was before any target module was imported
    or any layer created, i.e. a fresh process for ``load_model``.
    """
    import keras  # noqa: F401
    import numpy  # noqa: F401

    spec = json.loads(Path(spec_path).read_text())
    outdir = Path(spec["outdir"])
    emit("ready")
    code = _fork_and_wait(run, spec_path)
    if code != 0:
        emit("run-died", code=code)
    jobs = read_jobs(outdir)
    if jobs:
        modules = list(dict.fromkeys(t["module"] for t in spec["targets"]))
        code = _fork_and_wait(load_jobs, modules, jobs)
        if code != 0:
            emit("load-died", code=code)
    emit("done")
    return 0


def _jax_without_tensorflow() -> None:
    """Under JAX, let Keras treat TensorFlow as not installed.

    Keras imports TensorFlow lazily when it is installed, even under JAX (for one
    ``isinstance(obj, tf.TensorShape)`` check in every ``get_config``), which costs seconds per
    process. A JAX-only installation never has it, so checking that way is faithful; set
    ``DLT_AGENT_JAX_WITH_TF=1`` to keep Keras' default.
    """
    if os.environ.get("KERAS_BACKEND") != "jax" or os.environ.get("DLT_AGENT_JAX_WITH_TF") == "1":
        return
    try:
        from keras.src.utils import module_utils

        lazy = getattr(module_utils, "tensorflow", None)
        if lazy is not None and getattr(lazy, "module", None) is None and "tensorflow" not in sys.modules:
            lazy._available = False
    except Exception:  # noqa: BLE001 - only an optimisation
        pass


def main(argv: list[str]) -> int:
    """Entry point: ``run SPEC_PATH`` or ``load MODULES_JSON``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _jax_without_tensorflow()
    modes = {"run": run, "load": load, "zygote": zygote}
    if len(argv) != 2 or argv[0] not in modes:
        sys.stderr.write("usage: python -m dlt_agent._validate_worker zygote SPEC | run SPEC | load MODULES_JSON\n")
        return 2
    return modes[argv[0]](argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
