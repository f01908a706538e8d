"""Serialization validator: does a Keras class survive config and ``.keras`` round trips?

Each backend is checked in its own subprocess (``KERAS_BACKEND`` set), and loading happens in
another, fresh process, so nothing of the original instance can leak into the reloaded one.
Both processes of a backend start together (the loader imports Keras and the modules while
the first one works) and share one time limit. Stages, in order: ``import``,
``instantiate``, ``build``, ``call``, ``config``, ``save``, ``load``, ``compare``; each failure
is reported once, at the first stage that fails for that class, as a ``DLT901`` diagnostic.

``validate_path`` is the entry point ``dlt-lint --runtime`` uses (import this module lazily:
the agent depends on the linter, not the other way round).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from dlt_lint.diagnostics import Diagnostic, Position

__all__ = [
    "DEFAULT_TIMEOUT",
    "RUNTIME_CODE",
    "STAGES",
    "Target",
    "ClassResult",
    "ValidationReport",
    "available_backends",
    "resolve_target",
    "validate_targets",
    "validate_path",
    "validate_paths",
]

RUNTIME_CODE = "DLT901"
DEFAULT_TIMEOUT = 120.0
STAGES = ("import", "instantiate", "build", "call", "config", "save", "load", "compare", "factory")
BACKENDS = ("tensorflow", "jax")
_MARK = "@@DLT@@ "


@dataclass(frozen=True)
class Target:
    """A module to check (all its Keras classes, or one ``class_name``)."""

    module: str
    class_name: str | None = None
    path: str | None = None  # file of the module, for diagnostics
    sys_path: str | None = None  # directory to put first on ``sys.path``


@dataclass
class ClassResult:
    """Outcome of one class (or of a module that failed to import) on one backend."""

    backend: str
    module: str
    class_name: str | None
    file: str | None
    line: int
    stage: str | None = None  # failed stage, None = passed
    message: str = ""
    passed: list[str] = field(default_factory=list)
    input: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.stage is None

    def describe(self) -> str:
        """One line for humans."""
        who = f"{self.module}.{self.class_name}" if self.class_name else self.module
        if self.ok:
            return f"[{self.backend}] {who}: ok" + (f" ({self.note})" if self.note else "")
        return f"[{self.backend}] {who}: {self.stage} failed: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "module": self.module, "class": self.class_name, "file": self.file,
                "line": self.line, "ok": self.ok, "stage": self.stage, "message": self.message,
                "input": self.input, "note": self.note}


@dataclass
class ValidationReport:
    """All results of one validation run."""

    results: list[ClassResult]
    seconds: dict[str, float]  # per backend wall time
    backends: list[str]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failures(self) -> list[ClassResult]:
        return [r for r in self.results if not r.ok]

    def diagnostics(self) -> list[Diagnostic]:
        """The failures as ``DLT901`` diagnostics."""
        out = []
        for r in self.failures():
            who = r.class_name or r.module
            row = max(r.line or 1, 1)
            out.append(Diagnostic(
                RUNTIME_CODE,
                f"serialization round trip failed at '{r.stage}' ({r.backend}) for {who}: {r.message}",
                r.file or r.module,
                Position(row, 0),
                Position(row, 0),
            ))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "backends": self.backends, "seconds": self.seconds,
                "results": [r.to_json() for r in self.results]}


def available_backends() -> list[str]:
    """The Keras backends installed here (of TensorFlow and JAX), found without importing them."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def _normalize_backends(backend: str | Sequence[str] | None) -> list[str]:
    if backend is None:
        found = available_backends()
        if not found:
            raise ValueError("neither tensorflow nor jax is installed")
        return found
    names = [backend] if isinstance(backend, str) else list(backend)
    for name in names:
        if name not in BACKENDS:
            raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- targets
def _module_for_file(path: Path) -> tuple[str, Path]:
    """(dotted module, directory to put on sys.path) for a ``.py`` file."""
    path = path.resolve()
    parts = [] if path.name == "__init__.py" else [path.stem]
    parent = path.parent
    while (parent / "__init__.py").is_file():
        parts.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(parts)), parent


def resolve_target(spec: str) -> list[Target]:
    """``PATH``, ``PATH:Class``, ``MODULE`` or ``MODULE:Class`` -> targets.

    A directory stands for every module in it (not ``__init__``, not tests).

    :raises ValueError: a path that does not exist or is not Python.
    """
    class_name = None
    base = spec
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isidentifier() and head and not (len(head) == 1 and head.isalpha()):
        base, class_name = head, tail
    looks_like_path = base.endswith(".py") or os.sep in base or "/" in base or Path(base).exists()
    if looks_like_path:
        path = Path(base)
        if not path.exists():
            raise ValueError(f"{base}: no such file or directory")
        if path.is_dir():
            if class_name:
                raise ValueError(f"{spec}: a class can only be named for a module, not a directory")
            files = sorted(p for p in path.rglob("*.py")
                           if p.name != "__init__.py" and not p.name.startswith("test_")
                           and "__pycache__" not in p.parts)
            out = []
            for f in files:
                module, root = _module_for_file(f)
                out.append(Target(module, None, str(f), str(root)))
            return out
        if path.suffix != ".py":
            raise ValueError(f"{base}: not a Python file")
        module, root = _module_for_file(path)
        return [Target(module, class_name, str(path), str(root))]
    if not all(part.isidentifier() for part in base.split(".")):
        raise ValueError(f"{spec}: neither an existing path nor a dotted module name")
    return [Target(base, class_name)]


# --------------------------------------------------------------------------- running
def _events(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith(_MARK):
            try:
                out.append(json.loads(line[len(_MARK):]))
            except json.JSONDecodeError:
                continue
    return out


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()


def _tail(text: str, lines: int = 6) -> str:
    useful = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith(_MARK)]
    return " | ".join(useful[-lines:])[-1200:]


def _env(backend: str, sys_paths: Iterable[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    if backend == "jax":
        env.setdefault("JAX_PLATFORMS", "cpu")
    paths = list(dict.fromkeys(p for p in sys_paths if p))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _popen(args: list[str], env: Mapping[str, str], cwd: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dlt_agent._validate_worker", *args],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(env), cwd=cwd, start_new_session=True,
    )


def _use_fork() -> bool:
    return hasattr(os, "fork") and os.environ.get("DLT_AGENT_VALIDATOR_FORK", "1") != "0"


def _communicate(proc: subprocess.Popen, deadline: float, stdin: str | None = None) -> tuple[str, str, bool]:
    """Output of ``proc`` until it exits or ``deadline`` passes (then it is killed)."""
    try:
        out, err = proc.communicate(input=stdin, timeout=max(deadline - time.monotonic(), 0.1))
        return out, err, False
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        return out or "", err or "", True


def _run_backend(backend: str, targets: Sequence[Target], args: Mapping[str, Any], timeout: float,
                 factory_checks: Sequence[Mapping[str, Any]], workdir: Path) -> list[ClassResult]:
    """Check ``targets`` on one backend; never raises for problems of the checked code.

    With ``os.fork`` available one ``zygote`` process imports Keras and forks the checking
    child and then the loading child; otherwise a ``run`` and a ``load`` process are started
    together. Either way one time limit covers the whole backend.
    """
    deadline = time.monotonic() + timeout
    outdir = workdir / backend
    outdir.mkdir(parents=True, exist_ok=True)
    spec_path = outdir / "spec.json"
    spec = {
        "targets": [{"module": t.module, "class": t.class_name, "path": t.path} for t in targets],
        "args": dict(args), "outdir": str(outdir), "factory_checks": [dict(c) for c in factory_checks],
    }
    spec_path.write_text(json.dumps(spec))
    env = _env(backend, [t.sys_path for t in targets if t.sys_path])
    processes: list[subprocess.Popen] = []
    try:
        if _use_fork():
            proc = _popen(["zygote", str(spec_path)], env, str(outdir))
            processes.append(proc)
            out, err, timed_out = _communicate(proc, deadline)
            events = _events(out)
            finished = any(ev["event"] == "done" for ev in events)
            died = None if finished or timed_out else f"exit code {proc.returncode}: {_tail(err)}"
            for ev in events:
                if ev["event"] in ("run-died", "load-died"):
                    died = f"exit code {ev.get('code')}: {_tail(err)}"
        else:
            modules = list(dict.fromkeys(t.module for t in targets))
            runner = _popen(["run", str(spec_path)], env, str(outdir))
            loader = _popen(["load", json.dumps(modules)], env, str(outdir), stdin=subprocess.PIPE)
            processes += [runner, loader]
            out, err, timed_out = _communicate(runner, deadline)
            events = _events(out)
            died = None
            if not timed_out and not any(ev["event"] == "run-done" for ev in events):
                died = f"exit code {runner.returncode}: {_tail(err)}"
            jobs = [json.loads(line) for line in (outdir / "jobs.jsonl").read_text().splitlines()
                    if line.strip()] if (outdir / "jobs.jsonl").is_file() else []
            if timed_out or not jobs:
                _kill(loader)
                loader.communicate()
            else:
                out2, err2, timed_out = _communicate(loader, deadline, json.dumps(jobs))
                events += _events(out2)
                if not timed_out and not any(ev["event"] == "load-done" for ev in _events(out2)):
                    died = f"exit code {loader.returncode}: {_tail(err2)}"
        return _collect(backend, targets, events, timeout if timed_out else None, died)
    finally:
        for proc in processes:
            _kill(proc)


def _collect(backend: str, targets: Sequence[Target], events: list[dict[str, Any]], timed_out: float | None,
             died: str | None) -> list[ClassResult]:
    """Turn the event stream of one backend into results."""
    paths = {t.module: t.path for t in targets}
    results: list[ClassResult] = []
    by_key: dict[tuple[str, str | None], ClassResult] = {}
    awaiting_load: set[tuple[str, str | None]] = set()
    for ev in events:
        kind = ev["event"]
        if kind == "result":
            failure = ev.get("failure")
            r = ClassResult(backend, ev["module"], ev.get("class"), ev.get("file") or paths.get(ev["module"]),
                            int(ev.get("line") or 1), failure["stage"] if failure else None,
                            failure["message"] if failure else "", list(ev.get("passed", [])), ev.get("input"),
                            ev.get("note"))
            results.append(r)
            by_key[(r.module, r.class_name)] = r
            if r.ok and ev.get("job"):
                awaiting_load.add((r.module, r.class_name))
        elif kind == "loaded":
            key = (ev["module"], ev.get("class"))
            r = by_key.get(key)
            if r is None:
                continue
            awaiting_load.discard(key)
            failure = ev.get("failure")
            if failure:
                r.stage, r.message = failure["stage"], failure["message"]
            else:
                r.passed += ["load", "compare"]
        elif kind == "factory" and ev.get("failure"):
            results.append(ClassResult(backend, ev["module"], ev.get("class"), paths.get(ev["module"]), 1,
                                       "factory", ev["failure"]))
    if timed_out is None and died is None and not awaiting_load:
        return results
    last = next((ev for ev in reversed(events) if ev["event"] == "stage"), None)
    stage = last["stage"] if last else "import"
    module = last["module"] if last else (targets[0].module if targets else "?")
    cls = last.get("class") if last else None
    reason = f"timed out after {timed_out:g} s during {stage}" if timed_out is not None else \
        f"the validation process died during {stage} ({died})"
    key = (module, cls)
    if key in by_key:
        r = by_key[key]
        if r.ok:
            r.stage, r.message = stage, reason
    elif stage != "factory":
        r = ClassResult(backend, module, cls, paths.get(module), 1, stage, reason)
        results.append(r)
        by_key[key] = r
    else:
        results.append(ClassResult(backend, module, cls, paths.get(module), 1, "factory", reason))
    for key in awaiting_load:
        r = by_key[key]
        if r.ok:
            r.stage, r.message = "load", reason if last and last["stage"] in ("load", "compare") else \
                f"not loaded: {reason}"
    return results


def validate_targets(targets: Sequence[Target], backends: str | Sequence[str] | None = None,
                     timeout: float = DEFAULT_TIMEOUT, args: Mapping[str, Any] | None = None,
                     factory_checks: Sequence[Mapping[str, Any]] = ()) -> ValidationReport:
    """Validate ``targets`` on every backend (in parallel, one process pair per backend).

    :param targets: modules / classes to check (see :func:`resolve_target`).
    :param backends: ``"tensorflow"``, ``"jax"``, a list, or ``None`` for all installed.
    :param timeout: seconds per backend for both of its processes.
    :param args: constructor argument overrides (``--arg name=value``).
    :param factory_checks: extra checks ``{"module", "function", "key", "kwargs", "class",
        "class_module"}``: the factory must create that class (reported as stage ``factory``).
    :return: per-class results.
    """
    names = _normalize_backends(backends)
    results: dict[str, list[ClassResult]] = {}
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dlt-validate-") as tmp:
        def work(backend: str) -> None:
            t0 = time.monotonic()
            try:
                results[backend] = _run_backend(backend, targets, args or {}, timeout, factory_checks, Path(tmp))
            except Exception as exc:  # noqa: BLE001 - an internal error must still be reported
                results[backend] = [ClassResult(backend, t.module, t.class_name, t.path, 1, "import",
                                                f"internal validator error: {type(exc).__name__}: {exc}")
                                    for t in targets[:1]]
            seconds[backend] = round(time.monotonic() - t0, 2)

        threads = [threading.Thread(target=work, args=(b,), daemon=True) for b in names]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    ordered = [r for b in names for r in results.get(b, [])]
    return ValidationReport(ordered, seconds, names)


def validate_paths(paths: Iterable[str | os.PathLike[str]], backend: str | Sequence[str] | None = None,
                   timeout: float = DEFAULT_TIMEOUT, args: Mapping[str, Any] | None = None) -> list[Diagnostic]:
    """Validate several files / modules in ONE process pair per backend; ``DLT901`` diagnostics."""
    targets: list[Target] = []
    for p in paths:
        targets.extend(resolve_target(str(p)))
    if not targets:
        return []
    return validate_targets(targets, backend, timeout, args).diagnostics()


def validate_path(path: str | os.PathLike[str], backend: str | Sequence[str] | None = None,
                  timeout: float = DEFAULT_TIMEOUT, args: Mapping[str, Any] | None = None) -> list[Diagnostic]:
    """Validate one ``PATH|MODULE[:Class]``; the failures as ``DLT901`` diagnostics.

    :param path: a ``.py`` file, a package directory, or a dotted module, optionally
        ``:ClassName``.
    :param backend: ``"tensorflow"``, ``"jax"``, a list of them, or ``None`` for every
        installed backend.
    :param timeout: seconds allowed per backend (import included).
    :param args: constructor argument overrides.
    :return: one diagnostic per failed class and backend (empty: everything passed).
    """
    return validate_paths([path], backend, timeout, args)
