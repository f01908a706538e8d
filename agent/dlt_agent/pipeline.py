"""The generation pipeline: plan -> render -> format -> register -> lint -> validate -> write.

Every step works on an in-memory staging area (path -> new text). Nothing in the destination
changes before the final ``write`` step, which replaces each file atomically (temporary file
plus ``os.replace``) and restores the earlier files if a later one fails. When any step
fails, the result names the step and the reason and the destination is untouched.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from dlt_agent import codemod
from dlt_agent.formatting import FormatError, find_ruff, format_source
from dlt_agent.kinds import KindSpec, framework_package_dir, get_kind
from dlt_agent.names import LayerNames, NameError_, map_name
from dlt_agent.templating import TemplateError, make_environment, render_template

__all__ = [
    "STEPS",
    "GenerateOptions",
    "StagedFile",
    "StepRecord",
    "GenerationResult",
    "PipelineError",
    "generate",
    "write_atomically",
]

STEPS = ("plan", "render", "format", "register", "lint", "validate", "write")

# Indirection so tests can inject a failure into the write step.
_replace: Callable[[str | os.PathLike[str], str | os.PathLike[str]], None] = os.replace


class PipelineError(Exception):
    """A step failed; ``step`` names it."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.message = message


@dataclass
class GenerateOptions:
    """Everything a ``new-*`` command can be told."""

    kind: str
    name: str
    dest: Path | None = None
    tests_dir: Path | None = None
    register: bool = True
    dry_run: bool = False
    force: bool = False
    rope: bool = False
    causal: bool = False
    probability_type: str = "softmax"
    templates: Path | None = None
    validate: bool = True
    backends: list[str] | None = None
    timeout: float = 120.0
    description: str | None = None


@dataclass
class StagedFile:
    """One file the generation creates or changes."""

    path: Path
    before: bytes | None  # None: the file is new
    after: str
    role: str  # "module", "test", "factory", "package"

    @property
    def is_new(self) -> bool:
        return self.before is None

    @property
    def changed(self) -> bool:
        return self.before is None or self.before != self.after.encode("utf-8")


@dataclass
class StepRecord:
    """Outcome and duration of one step."""

    name: str
    status: str  # "ok", "failed", "skipped"
    seconds: float
    detail: str = ""


@dataclass
class GenerationResult:
    """What a generation did (or would do, for ``--dry-run``)."""

    options: GenerateOptions
    names: LayerNames | None = None
    dest: Path | None = None
    package: str | None = None
    files: list[StagedFile] = field(default_factory=list)
    registration: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    lint: Any = None  # dlt_agent.linting.LintOutcome
    validation: Any = None  # dlt_agent.validator.ValidationReport
    failed_step: str | None = None
    error: str | None = None
    written: bool = False
    total_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed_step is None

    def diff(self, relative_to: Path | None = None) -> str:
        """Unified diff of every staged change (new files against /dev/null)."""
        chunks = []
        for f in self.files:
            if not f.changed:
                continue
            shown = _relative(f.path, relative_to)
            before = "" if f.before is None else f.before.decode("utf-8")
            chunks.extend(difflib.unified_diff(
                before.splitlines(keepends=True), f.after.splitlines(keepends=True),
                "/dev/null" if f.before is None else f"a/{shown}", f"b/{shown}"))
        return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)

    def to_json(self, relative_to: Path | None = None) -> dict[str, Any]:
        """Machine-readable summary (``--json``)."""
        out: dict[str, Any] = {
            "ok": self.ok,
            "failed_step": self.failed_step,
            "error": self.error,
            "kind": self.options.kind,
            "dry_run": self.options.dry_run,
            "written": self.written,
            "names": None if self.names is None else {
                "class": self.names.class_name, "module": self.names.module_name, "key": self.names.factory_key},
            "dest": None if self.dest is None else str(self.dest),
            "package": self.package,
            "files": [{"path": str(f.path), "action": "create" if f.is_new else "modify", "role": f.role}
                      for f in self.files if f.changed],
            "registration": self.registration,
            "notes": self.notes,
            "steps": [{"name": s.name, "status": s.status, "seconds": round(s.seconds, 3), "detail": s.detail}
                      for s in self.steps],
            "seconds": round(self.total_seconds, 3),
            "lint": None,
            "validation": None if self.validation is None else self.validation.to_json(),
        }
        if self.lint is not None:
            out["lint"] = {"ok": self.lint.ok, "fixed": self.lint.fixed, "problems": self.lint.problems()}
        if self.options.dry_run:
            out["diff"] = self.diff(relative_to)
        return out


def _relative(path: Path, base: Path | None) -> str:
    base = base or Path.cwd()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# --------------------------------------------------------------------------- planning helpers
@dataclass
class _Plan:
    spec: KindSpec
    names: LayerNames
    dest: Path
    dest_is_new: bool
    top_dir: Path  # directory of the top-level package (e.g. .../dl_techniques)
    package: str  # dotted package of dest
    module: str  # dotted module of the new file
    fw: str  # framework root package for imports
    module_path: Path
    test_path: Path
    factory_path: Path | None
    init_path: Path


def _package_chain(directory: Path) -> list[Path]:
    """``directory`` and its parents as long as they are packages (innermost first)."""
    chain = []
    d = directory
    while (d / "__init__.py").is_file():
        chain.append(d)
        if d.parent == d:
            break
        d = d.parent
    return chain


def _plan(options: GenerateOptions) -> _Plan:
    try:
        spec = get_kind(options.kind)
    except ValueError as exc:
        raise PipelineError("plan", str(exc)) from exc
    try:
        names = map_name(options.name)
    except NameError_ as exc:
        raise PipelineError("plan", f"invalid name: {exc}") from exc
    if options.dest is not None:
        dest = Path(options.dest).expanduser().resolve()
    else:
        fw_dir = framework_package_dir()
        if fw_dir is None:
            raise PipelineError("plan", "dl_techniques is not installed; pass --dest")
        dest = fw_dir.joinpath(*spec.subpackage)
    dest_is_new = False
    if not dest.exists():
        if not (dest.parent / "__init__.py").is_file():
            raise PipelineError("plan", f"--dest {dest} does not exist and its parent is not a package")
        dest_is_new = True
    elif not dest.is_dir():
        raise PipelineError("plan", f"--dest {dest} is not a directory")
    elif not (dest / "__init__.py").is_file():
        raise PipelineError("plan", f"--dest {dest} is not a package (no __init__.py)")
    chain = _package_chain(dest.parent if dest_is_new else dest)
    if dest_is_new:
        chain = [dest] + chain
    top_dir = chain[-1]
    package = ".".join(p.name for p in reversed(chain))
    module = f"{package}.{names.module_name}"
    fw = top_dir.name if (top_dir / "layers").is_dir() else "dl_techniques"
    if options.tests_dir is not None:
        tests_dir = Path(options.tests_dir).expanduser().resolve()
    else:
        tests_dir = dest
        for base in (top_dir.parent, top_dir.parent.parent):
            if (base / "tests" / "framework").is_dir():
                tests_dir = base / "tests" / "framework"
                break
    factory_path = dest / "factory.py" if spec.has_factory else None
    return _Plan(spec, names, dest, dest_is_new, top_dir, package, module, fw,
                 dest / f"{names.module_name}.py", tests_dir / f"test_{names.module_name}.py",
                 factory_path, dest / "__init__.py")


_CLASS_DEF = re.compile(r"^class\s+(\w+)\b", re.MULTILINE)


def _existing_classes(top_dir: Path) -> dict[str, Path]:
    """Top-level class names defined anywhere in the framework package."""
    found: dict[str, Path] = {}
    for path in sorted(top_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for name in _CLASS_DEF.findall(text):
            found.setdefault(name, path)
    return found


def _check_collisions(plan: _Plan, force: bool, registry_keys: list[str]) -> list[str]:
    """Refuse names that exist already; with ``force`` return warnings instead."""
    problems = []
    if plan.module_path.exists():
        problems.append(f"{plan.module_path} already exists")
    if plan.test_path.exists():
        problems.append(f"{plan.test_path} already exists")
    classes = _existing_classes(plan.top_dir)
    where = classes.get(plan.names.class_name)
    if where is not None and where.resolve() != plan.module_path.resolve():
        problems.append(f"class {plan.names.class_name} is already defined in {where}")
    if plan.names.factory_key in registry_keys:
        problems.append(f"the factory already registers the type {plan.names.factory_key!r}")
    if problems and not force:
        raise PipelineError(
            "plan", f"name {plan.names.given!r} collides: {'; '.join(problems)} (choose another name or pass --force)")
    return [f"--force: {p}, overwriting" for p in problems]


def _literal_dict_keys(path: Path, name: str) -> list[str] | None:
    """Keys of the module-level dict literal ``name`` in ``path`` (None: not found)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(node.value, ast.Dict):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return None


def _factory_function(source: str, preferred: str | None) -> str | None:
    """The ``create_*`` function of a factory module that takes the type first."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return preferred
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("create_")]
    if preferred in functions:
        return preferred
    layer_functions = [f for f in functions if f.endswith("_layer")]
    return (layer_functions or functions or [None])[0]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- the pipeline
class _Runner:
    """Runs the steps and records their timings."""

    def __init__(self, result: GenerationResult, on_step: Callable[[StepRecord], None] | None) -> None:
        self.result = result
        self.on_step = on_step

    def run(self, name: str, fn: Callable[[], str | None]) -> None:
        t0 = time.perf_counter()
        try:
            detail = fn() or ""
        except PipelineError as exc:
            self._record(StepRecord(name, "failed", time.perf_counter() - t0, exc.message))
            raise PipelineError(exc.step if exc.step in STEPS else name, exc.message) from exc
        except Exception as exc:  # noqa: BLE001 - any bug in a step is that step's failure
            message = f"{type(exc).__name__}: {exc}"
            self._record(StepRecord(name, "failed", time.perf_counter() - t0, message))
            raise PipelineError(name, message) from exc
        self._record(StepRecord(name, "ok", time.perf_counter() - t0, detail))

    def skip(self, name: str, detail: str) -> None:
        self._record(StepRecord(name, "skipped", 0.0, detail))

    def _record(self, record: StepRecord) -> None:
        self.result.steps.append(record)
        if self.on_step is not None:
            self.on_step(record)


def generate(options: GenerateOptions, on_step: Callable[[StepRecord], None] | None = None) -> GenerationResult:
    """Run the whole pipeline; never raises for a failing step (see ``result.failed_step``).

    :param options: what to generate and how.
    :param on_step: called after each step (progress display).
    :return: the result, with the staged files, timings, lint and validation outcomes.
    """
    started = time.perf_counter()
    result = GenerationResult(options)
    runner = _Runner(result, on_step)
    state: dict[str, Any] = {}
    try:
        runner.run("plan", lambda: _step_plan(options, result, state))
        runner.run("render", lambda: _step_render(options, result, state))
        if find_ruff() is None:
            result.notes.append("ruff not found: the generated code was not formatted")
            runner.skip("format", "ruff not found")
        else:
            runner.run("format", lambda: _step_format(result, state))
        if options.register:
            runner.run("register", lambda: _step_register(options, result, state))
        else:
            runner.skip("register", "--no-register")
        runner.run("lint", lambda: _step_lint(options, result, state))
        if options.validate:
            runner.run("validate", lambda: _step_validate(options, result, state))
        else:
            runner.skip("validate", "--no-validate")
        if options.dry_run:
            runner.skip("write", "--dry-run")
        else:
            runner.run("write", lambda: _step_write(result))
    except PipelineError as exc:
        result.failed_step = exc.step
        result.error = exc.message
    result.total_seconds = time.perf_counter() - started
    return result


def _stage(result: GenerationResult, path: Path, after: str, role: str) -> None:
    for f in result.files:
        if f.path == path:
            f.after = after
            return
    result.files.append(StagedFile(path, _read(path), after, role))


def _step_plan(options: GenerateOptions, result: GenerationResult, state: dict[str, Any]) -> str:
    plan = _plan(options)
    state["plan"] = plan
    result.names = plan.names
    result.dest = plan.dest
    result.package = plan.package
    registry_keys: list[str] = []
    factory_source = None
    if options.register and plan.factory_path is not None:
        if not plan.factory_path.is_file():
            raise PipelineError("plan", f"no factory module {plan.factory_path} to register the new type in "
                                        "(pass --no-register to only create the files)")
        factory_source = plan.factory_path.read_bytes().decode("utf-8")
        try:
            from libcst import parse_module

            shape = codemod.analyze_factory(parse_module(factory_source), plan.spec.kind, str(plan.factory_path))
        except codemod.RegistrationError as exc:
            raise PipelineError("plan", str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - libcst parse errors
            raise PipelineError("plan", f"{plan.factory_path}: cannot parse: {exc}") from exc
        registry_keys = shape.keys
    state["factory_source"] = factory_source
    state["factory_function"] = (
        _factory_function(factory_source, plan.spec.factory_function) if factory_source is not None else None)
    result.notes.extend(_check_collisions(plan, options.force, registry_keys))
    if plan.spec.kind == "attention":
        known = _literal_dict_keys(plan.top_dir / "layers" / "activations" / "probability_output.py",
                                   "PROBABILITY_TYPES")
        if known and options.probability_type not in known:
            raise PipelineError("plan", f"--probability-type {options.probability_type!r} is not one of "
                                        f"{', '.join(known)}")
    return f"{plan.names.class_name} -> {plan.module}"


def _step_render(options: GenerateOptions, result: GenerationResult, state: dict[str, Any]) -> str:
    plan: _Plan = state["plan"]
    spec = plan.spec
    try:
        env = make_environment(options.templates)
    except TemplateError as exc:
        raise PipelineError("render", str(exc)) from exc
    registered = bool(options.register and spec.has_factory and state.get("factory_function"))
    description = options.description or spec.description
    context = {
        "kind": spec.kind,
        "command": spec.command,
        "class_name": plan.names.class_name,
        "module_name": plan.names.module_name,
        "factory_key": plan.names.factory_key,
        "module": plan.module,
        "package": plan.package,
        "fw": plan.fw,
        "register_package": plan.top_dir.name,
        "description": description,
        "rope": options.rope,
        "causal": options.causal,
        "probability_type": options.probability_type,
        "registered": registered,
        "factory_module": f"{plan.package}.factory",
        "factory_function": state.get("factory_function") if registered else None,
        "example_args": repr(spec.example_args),
        "input_shape": repr(spec.input_shape),
        "output_shape": repr(spec.output_shape),
        "invalid_args": repr(spec.invalid_args),
    }
    try:
        module_text = render_template(env, spec.template, context)
        test_text = render_template(env, spec.test_template, context)
    except TemplateError as exc:
        raise PipelineError("render", str(exc)) from exc
    _stage(result, plan.module_path, module_text, "module")
    _stage(result, plan.test_path, test_text, "test")
    state["description"] = description
    return f"{spec.template}, {spec.test_template}"


def _step_format(result: GenerationResult, state: dict[str, Any]) -> str:
    ruff = find_ruff()
    assert ruff is not None
    formatted = []
    for f in result.files:
        if f.role in ("module", "test"):
            try:
                f.after = format_source(f.after, f.path, ruff)
            except FormatError as exc:
                raise PipelineError("format", str(exc)) from exc
            formatted.append(f.path.name)
    return "ruff format: " + ", ".join(formatted)


def _module_text(result: GenerationResult) -> str:
    return next(f.after for f in result.files if f.role == "module")


def _step_register(options: GenerateOptions, result: GenerationResult, state: dict[str, Any]) -> str:
    plan: _Plan = state["plan"]
    result.registration = []
    for f in list(result.files):
        if f.role in ("factory", "package"):
            result.files.remove(f)
    notes: list[str] = []
    if plan.factory_path is not None:
        try:
            entry = codemod.entry_from_source(_module_text(result), plan.names.class_name, plan.names.factory_key,
                                              plan.module, state.get("description"))
            res = codemod.register_in_factory(state["factory_source"], entry, plan.spec.kind, options.force,
                                              str(plan.factory_path))
        except codemod.RegistrationError as exc:
            raise PipelineError("register", str(exc)) from exc
        _stage(result, plan.factory_path, res.source, "factory")
        result.registration += [f"{plan.factory_path.name}: {c}" for c in res.changes]
        notes += res.notes
    if plan.init_path.is_file():
        source = plan.init_path.read_bytes().decode("utf-8")
        try:
            res = codemod.export_from_package(source, plan.module, plan.names.class_name, str(plan.init_path))
        except codemod.RegistrationError as exc:
            raise PipelineError("register", str(exc)) from exc
        _stage(result, plan.init_path, res.source, "package")
        result.registration += [f"__init__.py: {c}" for c in res.changes]
        notes += res.notes
    elif plan.dest_is_new:
        _stage(result, plan.init_path,
               codemod.new_package_init(plan.package, plan.module, plan.names.class_name), "package")
        result.registration.append(f"__init__.py: new package exporting {plan.names.class_name}")
    for n in notes:
        if n not in result.notes:
            result.notes.append(n)
    return "; ".join(result.registration) or "nothing to change"


def _step_lint(options: GenerateOptions, result: GenerationResult, state: dict[str, Any]) -> str:
    from dlt_agent.linting import lint_config_for, lint_staged

    plan: _Plan = state["plan"]
    if plan.dest_is_new and not any(f.path == plan.init_path for f in result.files):
        _stage(result, plan.init_path, f'"""The ``{plan.package}`` package."""\n', "package")
    config = lint_config_for(plan.dest if plan.dest.exists() else plan.dest.parent)
    generated = {f.path: f.after for f in result.files if f.role in ("module", "test")}
    edited = {f.path: ("" if f.before is None else f.before.decode("utf-8"), f.after)
              for f in result.files if f.role in ("factory", "package") and f.changed}
    outcome = lint_staged(generated, edited, [plan.dest if plan.dest.exists() else plan.dest.parent], config)
    result.lint = outcome
    module_before = _module_text(result)
    for fl in outcome.files:
        for f in result.files:
            if f.path.resolve() == fl.path and f.role in ("module", "test"):
                f.after = fl.source
    if not outcome.ok:
        problems = outcome.problems()
        shown = "; ".join(problems[:8]) + (f" (+{len(problems) - 8} more)" if len(problems) > 8 else "")
        raise PipelineError("lint", f"{len(problems)} finding(s) left after safe fixes: {shown}")
    if options.register and _module_text(result) != module_before:
        _step_register(options, result, state)  # the fixes may have touched the signature
    return f"clean ({outcome.fixed} safe fix(es) applied)" if outcome.fixed else "clean"


def _overlay(plan: _Plan, files: list[StagedFile], root: Path) -> Path:
    """Copy of the top-level package with the staged files applied, under ``root``."""
    target = root / plan.top_dir.name
    shutil.copytree(plan.top_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for f in files:
        try:
            rel = f.path.resolve().relative_to(plan.top_dir.resolve())
        except ValueError:
            continue  # outside the package (the test file)
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(f.after.encode("utf-8"))
    return root


def _step_validate(options: GenerateOptions, result: GenerationResult, state: dict[str, Any]) -> str:
    from dlt_agent._validate_worker import STANDARD_ARGS
    from dlt_agent.validator import Target, validate_targets

    plan: _Plan = state["plan"]
    with tempfile.TemporaryDirectory(prefix="dlt-agent-stage-") as tmp:
        root = _overlay(plan, result.files, Path(tmp))
        target = Target(plan.module, plan.names.class_name, str(plan.module_path), str(root))
        checks = []
        registered = any(f.role == "factory" for f in result.files)
        if registered and state.get("factory_function"):
            entry = codemod.entry_from_source(_module_text(result), plan.names.class_name,
                                              plan.names.factory_key, plan.module)
            kwargs = {name: STANDARD_ARGS.get(name, 1) for name in entry.required}
            checks.append({"module": f"{plan.package}.factory", "function": state["factory_function"],
                           "key": plan.names.factory_key, "kwargs": kwargs, "class": plan.names.class_name,
                           "class_module": plan.module})
        report = validate_targets([target], options.backends, options.timeout, factory_checks=checks)
    staged_prefix = str(root / plan.top_dir.name)
    for r in report.results:
        if r.file and r.file.startswith(staged_prefix):
            r.file = str(plan.top_dir) + r.file[len(staged_prefix):]
    result.validation = report
    if not report.ok:
        failures = report.failures()
        raise PipelineError("validate", "; ".join(f.describe() for f in failures[:4]))
    timing = ", ".join(f"{b} {s:.1f}s" for b, s in report.seconds.items())
    return f"round trip ok on {', '.join(report.backends)} ({timing})"


def _step_write(result: GenerationResult) -> str:
    changed = [f for f in result.files if f.changed]
    write_atomically(changed)
    result.written = True
    return f"{len(changed)} file(s) written"


# --------------------------------------------------------------------------- atomic writes
def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _write_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.dlt-agent-{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        _replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomically(files: list[StagedFile]) -> None:
    """Write every staged file (temp file + ``os.replace``); on failure restore the earlier ones.

    :raises PipelineError: (step ``write``) a file changed on disk since it was staged, or a
        write failed (after the rollback).
    """
    for f in files:
        if _digest(_read(f.path)) != _digest(f.before):
            raise PipelineError("write", f"{f.path} changed on disk during the generation; nothing written")
    done: list[StagedFile] = []
    created: list[Path] = []
    current: Path | None = None
    try:
        for f in files:
            current = f.path
            missing = []
            parent = f.path.parent
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for d in reversed(missing):
                d.mkdir()
                created.append(d)
            _write_file(f.path, f.after.encode("utf-8"))
            done.append(f)
    except BaseException as exc:
        rollback_errors = []
        for f in reversed(done):
            try:
                if f.before is None:
                    f.path.unlink(missing_ok=True)
                else:
                    _write_file(f.path, f.before)
            except OSError as err:  # pragma: no cover - disk trouble during rollback
                rollback_errors.append(f"{f.path}: {err}")
        for d in reversed(created):
            try:
                d.rmdir()
            except OSError:
                pass
        extra = f"; rollback problems: {', '.join(rollback_errors)}" if rollback_errors else "; earlier files restored"
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise PipelineError("write", f"writing {current} failed: {exc}{extra}") from exc
