"""The ``dlt-lint`` command line.

``dlt-lint [PATHS...]`` is ``dlt-lint check [PATHS...]``: when the first argument is not one
of the subcommands (``check``, ``rule``, ``rules``), :func:`main` puts ``check`` in front, so
a path and a subcommand never compete for the same argument slot. (To lint a directory
literally named ``rules``, write ``dlt-lint check rules`` or ``dlt-lint ./rules``.)

Exit codes: 0 clean, 1 violations found, 2 usage error, invalid configuration, a missing path
or an internal error.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional, get_args, get_origin

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from dlt_lint import __version__

SUBCOMMANDS = ("check", "rule", "rules", "server")
EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
PROGRESS_MIN_FILES = 50

# ============================================================================ typer without pydantic
_PLAIN: Any = None


def _plain_param_class() -> Any:
    global _PLAIN
    if _PLAIN is None:
        try:
            from typer._coercion import PassThroughRuntimeParam
        except ImportError:  # pragma: no cover - another typer
            _PLAIN = False
            return _PLAIN

        class Plain(PassThroughRuntimeParam):  # type: ignore[misc, valid-type]
            def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
                ann = self.annotation
                if get_origin(ann) is list:
                    return [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
                if ann is int:
                    try:
                        number = int(value)
                    except (TypeError, ValueError):
                        raise typer.BadParameter(f"{value!r} is not a valid integer.", ctx=ctx,
                                                 param=param) from None
                    low = getattr(self.parameter_info, "min", None)
                    if low is not None and number < low:
                        raise typer.BadParameter(f"{number} is smaller than the minimum {low}.", ctx=ctx,
                                                 param=param)
                    return number
                if ann is float:
                    try:
                        real = float(value)
                    except (TypeError, ValueError):
                        raise typer.BadParameter(f"{value!r} is not a valid number.", ctx=ctx,
                                                 param=param) from None
                    low = getattr(self.parameter_info, "min", None)
                    if low is not None and real < low:
                        raise typer.BadParameter(f"{real} is smaller than the minimum {low}.", ctx=ctx,
                                                 param=param)
                    return real
                if ann is Path:
                    return Path(value)
                if ann is bool:
                    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
                return str(value)

        _PLAIN = Plain
    return _PLAIN


def _plain(param: Any) -> Any:
    """Give ``param`` a direct value conversion instead of typer's pydantic one.

    typer converts every option value through a pydantic ``TypeAdapter``; importing pydantic
    and building the adapters costs about 0.2 s, as much as a whole warm lint run. Our
    parameters are plain ``str`` / ``int`` / ``float`` / ``Path`` / ``bool`` / ``list[str]``, so they get a
    converter that does just that. If typer's internals differ from what this expects, the
    parameter is left alone and typer's own conversion runs.
    """
    plain = _plain_param_class()
    desc = getattr(param, "type_descriptor", None)
    if not plain or desc is None or not hasattr(param, "_runtime_param") or desc.file_annotation is not None:
        return param
    ann = desc.annotation
    if ann in (str, int, float, Path, bool) or (get_origin(ann) is list and get_args(ann) == (str,)):
        try:
            param._runtime_param = plain(parameter_info=desc.parameter_info, annotation=ann)
        except TypeError:  # pragma: no cover - another typer
            pass
    return param


def _plain_coercion(command: Any) -> None:
    """Apply :func:`_plain` to every parameter of ``command`` and its subcommands."""
    stack = [command]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        for param in getattr(cmd, "params", ()):
            _plain(param)


class _Group(TyperGroup):
    def get_help_option(self, ctx: Any) -> Any:  # created afresh on every parse
        return _plain(super().get_help_option(ctx))


class _Command(TyperCommand):
    def get_help_option(self, ctx: Any) -> Any:
        return _plain(super().get_help_option(ctx))


app = typer.Typer(
    name="dlt-lint",
    help="A linter for Keras 3 layers written for the dl_techniques framework.\n\n"
         "`dlt-lint PATHS` is short for `dlt-lint check PATHS`.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def _codes(value: Optional[str]) -> list[str]:
    if not value:
        return []
    return [c.strip().upper() for c in value.replace(" ", ",").split(",") if c.strip()]


def _check_selectors(selectors: list[str], known: list[str], option: str) -> None:
    for sel in selectors:
        if sel == "ALL" or any(code.startswith(sel) for code in known):
            continue
        raise typer.BadParameter(f"unknown rule selector {sel!r}", param_hint=option)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"dlt-lint {__version__}\n")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Lint Keras 3 layers (run `dlt-lint check --help` for the options)."""


# ============================================================================ check
@app.command("check", cls=_Command)
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Files or directories (default: .).", show_default=False)] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="Also apply fixes that may change behaviour or public API.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    show_fixes: Annotated[bool, typer.Option("--show-fixes", help="List the fixes applied by --fix.")] = False,
    select: Annotated[Optional[str], typer.Option(
        "--select", help="Rule codes or prefixes to enable (comma list; ALL).")] = None,
    ignore: Annotated[Optional[str], typer.Option("--ignore", help="Rule codes or prefixes to disable.")] = None,
    extend_select: Annotated[Optional[str], typer.Option(
        "--extend-select", help="Codes to enable on top of the selection.")] = None,
    extend_exclude: Annotated[Optional[str], typer.Option(
        "--extend-exclude", help="More exclusion patterns (comma list).")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Enable preview rules.")] = False,
    statistics: Annotated[bool, typer.Option(
        "--statistics", help="Show counts per rule instead of each violation.")] = False,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when violations are found.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="Configuration file (pyproject.toml or a dlt-lint TOML).", dir_okay=False)] = None,
    output_format: Annotated[str, typer.Option(
        "--output-format", help="full, concise, json, sarif or github.", case_sensitive=False)] = "full",
    force_exclude: Annotated[bool, typer.Option(
        "--force-exclude", help="Apply exclusions to files named on the command line too.")] = False,
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", "-j", min=1, help="Worker processes (default: one per CPU).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print violations only, no summary.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Print run statistics (cache use, timing) on stderr.")] = False,
    add_noqa: Annotated[bool, typer.Option(
        "--add-noqa", help="Add `# noqa: CODE` to every line with a violation (adopt the linter).")] = False,
    baseline: Annotated[Optional[Path], typer.Option(
        "--baseline", dir_okay=False,
        help="Report only violations not recorded in FILE; FILE is created when missing.")] = None,
    update_baseline: Annotated[bool, typer.Option(
        "--update-baseline", help="Re-record the --baseline file with today's violations.")] = False,
    changed_since: Annotated[Optional[str], typer.Option(
        "--changed-since", help="Report only violations on lines changed since the git REF.")] = None,
    runtime: Annotated[bool, typer.Option(
        "--runtime", help="Also run the serialization round trip of every Keras class (DLT901; "
                          "needs Keras).")] = False,
    runtime_timeout: Annotated[float, typer.Option(
        "--runtime-timeout", min=1.0, help="Seconds allowed per backend for --runtime.")] = 300.0,
) -> None:
    """Lint PATHS (files or directories; default: the current directory)."""
    from dlt_lint import output as out
    from dlt_lint.config import ConfigError, LintConfig
    from dlt_lint.rule import known_codes

    fmt = output_format.lower()
    if fmt not in out.FORMATS:
        raise typer.BadParameter(f"{output_format!r} is not one of {', '.join(out.FORMATS)}",
                                 param_hint="--output-format")
    targets = list(paths) if paths else ["."]
    known = known_codes()
    sel, ign, ext = _codes(select), _codes(ignore), _codes(extend_select)
    _check_selectors(sel, known, "--select")
    _check_selectors(ign, known, "--ignore")
    _check_selectors(ext, known, "--extend-select")

    try:
        start = Path(targets[0]) if os.path.exists(targets[0]) else Path.cwd()
        cfg = LintConfig.load(config, start=start.absolute())
    except ConfigError as exc:
        _err(f"error: invalid configuration: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    if select is not None:
        cfg.select = sel
    cfg.extend_select = cfg.extend_select + ext
    cfg.ignore = cfg.ignore + ign
    cfg.extend_exclude = cfg.extend_exclude + [p for p in (extend_exclude or "").split(",") if p.strip()]
    if preview:
        cfg.preview = True
    for key, values in (("select", cfg.select), ("extend-select", cfg.extend_select), ("ignore", cfg.ignore)):
        unknown = [v for v in values if v != "ALL" and not any(c.startswith(v) for c in known)]
        if unknown:
            _err(f"warning: configuration {key} names unknown rule selector(s): {', '.join(unknown)}")

    try:
        code = _run_check(targets, cfg, fmt=fmt, fix=fix, unsafe=unsafe_fixes, diff=diff,
                          show_fixes=show_fixes, statistics=statistics, no_cache=no_cache,
                          force_exclude=force_exclude, jobs=jobs, quiet=quiet, verbose=verbose,
                          runtime=runtime, runtime_timeout=runtime_timeout,
                          adoption=_Adoption(add_noqa, baseline, update_baseline, changed_since))
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _err("error: interrupted")
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:  # an internal error: one line, exit 2
        _err(f"error: internal error: {type(exc).__name__}: {exc}")
        if os.environ.get("DLT_LINT_DEBUG"):
            raise
        raise typer.Exit(EXIT_ERROR) from exc
    if code == EXIT_VIOLATIONS and exit_zero:
        code = EXIT_CLEAN
    raise typer.Exit(code)


def _progress_callback(total_files: int):
    """A rich progress bar on stderr when it is a terminal and the run is big enough."""
    if total_files < PROGRESS_MIN_FILES or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                        auto_refresh=False)
    tasks: dict[str, Any] = {}
    labels = {"index": "indexing", "lint": "linting"}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = progress.add_task(labels.get(phase, phase), total=total)
        progress.update(tasks[phase], completed=done)
        if done == total or done % 8 == 0:
            progress.refresh()

    return progress, update


def _read_lines(filename: str, path: str) -> list[str] | None:
    from dlt_lint.context import split_lines
    from dlt_lint.files import SourceError, decode, read_bytes

    try:
        return split_lines(decode(read_bytes(path)).text)
    except (SourceError, OSError):
        return None


def _run_check(targets: list[str], cfg: Any, *, fmt: str, fix: bool, unsafe: bool,
               diff: bool, show_fixes: bool, statistics: bool, no_cache: bool, force_exclude: bool,
               jobs: int | None, quiet: bool, verbose: bool, runtime: bool = False,
               runtime_timeout: float = 300.0, adoption: "_Adoption | None" = None) -> int:
    from dlt_lint import output as out
    from dlt_lint.discovery import discover
    from dlt_lint.engine import RunOptions, run
    from dlt_lint.rule import all_rules  # rule modules are imported only when a report needs them

    found = discover(targets, cfg, force_exclude=force_exclude)
    for missing in found.missing:
        _err(f"error: {missing}: No such file or directory")
    machine = fmt in ("json", "sarif", "github")
    if not found.files and not found.missing and not machine and not quiet:
        _err("warning: no Python files found")

    progress, callback = _progress_callback(len(found.files))
    options = RunOptions(fix=fix and not diff, unsafe_fixes=unsafe, diff=diff, use_cache=not no_cache,
                         jobs=jobs, progress=callback)
    if progress is not None:
        with progress:
            result = run(found.files, cfg, options, found.index_only)
    else:
        result = run(found.files, cfg, options, found.index_only)
    for warning in result.warnings:
        _err(f"warning: {warning}")
    if verbose:
        _err(f"dlt-lint: {result.stats.line()}")
    error_exit = EXIT_ERROR if found.missing else None

    write = sys.stdout.write
    if diff:
        diffs = [o for o in result.outcomes if o.diff]
        for o in diffs:
            write(o.diff or "")
        n = sum(len(o.fixed_codes) for o in diffs)
        if not quiet:
            if n:
                _err(f"Would fix {n} error{'s' if n != 1 else ''}.")
            else:
                _err("No errors would be fixed.")
        if error_exit is not None:
            return error_exit
        return EXIT_VIOLATIONS if diffs else EXIT_CLEAN

    diags = [d for o in result.outcomes
             for d in sorted(o.diagnostics, key=lambda d: (d.start.row, d.start.column, d.code))]
    fixed = sum(len(o.fixed_codes) for o in result.outcomes)
    if runtime:
        runtime_diags = _runtime_check(result.outcomes, cfg, runtime_timeout)
        if runtime_diags is None:
            return EXIT_ERROR
        diags.extend(runtime_diags)
    if adoption is not None and adoption.active:
        try:
            diags, note = adoption.apply(diags, result.outcomes, cfg)
        except Exception as exc:  # AdoptionError, OSError: one line, exit 2
            _err(f"error: {exc}")
            return EXIT_ERROR
        if note and not quiet:
            _err(note)

    if statistics:
        stats = out.statistics(diags, all_rules(), unsafe)
        if fmt == "json":
            write(json.dumps(stats, indent=2) + "\n")
        else:
            write(out.format_statistics(stats))
    elif fmt == "json":
        write(out.format_json(diags))
    elif fmt == "sarif":
        from dlt_lint.linter import enabled_rules

        enabled = {r.code: r for r in enabled_rules(cfg)}
        enabled.update({d.code: all_rules().get(d.code) for d in diags})
        write(out.format_sarif(diags, enabled))
    elif fmt == "github":
        write(out.format_github(diags))
    elif fmt == "concise":
        write(out.format_concise(diags, unsafe))
    else:
        paths = {o.file.display: o.file.path for o in result.outcomes if o.diagnostics}
        sources = {name: lines for name, path in paths.items()
                   if (lines := _read_lines(name, path)) is not None}
        write(out.format_full(diags, sources, unsafe))

    if show_fixes and fixed and not machine:
        write(_fix_report(result.outcomes, all_rules()))
    if not machine and not quiet:
        write(_summary(diags, fixed, fix, unsafe))
    if error_exit is not None:
        return error_exit
    return EXIT_VIOLATIONS if diags else EXIT_CLEAN


@dataclass
class _Adoption:
    """--add-noqa, --baseline and --changed-since: filters and edits on a run's diagnostics."""

    add_noqa: bool = False
    baseline: Optional[Path] = None
    update_baseline: bool = False
    changed_since: Optional[str] = None

    @property
    def active(self) -> bool:
        return bool(self.add_noqa or self.baseline or self.changed_since)

    def apply(self, diags: list[Any], outcomes: list[Any], cfg: Any) -> tuple[list[Any], str]:
        from dlt_lint import adoption

        if self.update_baseline and not self.baseline:
            raise adoption.AdoptionError("--update-baseline needs --baseline FILE")
        paths = {o.file.display: o.file.path for o in outcomes}
        notes = []
        if self.changed_since:
            changed = adoption.changed_lines(self.changed_since, str(cfg.root))
            real = {os.path.realpath(k): v for k, v in changed.items()}
            diags = [d for d in diags
                     if (rows := real.get(os.path.realpath(paths.get(d.filename, d.filename)), False)) is not False
                     and adoption.touches_changes(d, rows)]
        if self.baseline:
            lines: dict[str, Any] = {}

            def annotated() -> list[tuple[Any, str, Any]]:
                out = []
                for d in diags:
                    path = paths.get(d.filename, d.filename)
                    if path not in lines:
                        lines[path] = _read_lines(d.filename, path)
                    out.append((d, cfg.relative(path), lines[path]))
                return out

            target = str(self.baseline)
            if self.update_baseline or not os.path.exists(target):
                recorded = adoption.Baseline.record(annotated())
                recorded.save(target)
                notes.append(f"Recorded {len(recorded)} violation(s) in baseline {target}.")
                diags = []
            else:
                diags = adoption.Baseline.load(target).filter_new(annotated())
        if self.add_noqa:
            notes.append(self._add_noqa(diags, paths))
            diags = []
        return diags, "\n".join(notes)

    @staticmethod
    def _add_noqa(diags: list[Any], paths: dict[str, str]) -> str:
        from dlt_lint.adoption import add_noqa
        from dlt_lint.files import SourceError, decode, encode, read_bytes, write_atomic

        by_file: dict[str, list[Any]] = {}
        for d in diags:
            by_file.setdefault(paths.get(d.filename, d.filename), []).append(d)
        total = 0
        for path, found in sorted(by_file.items()):
            try:
                source = decode(read_bytes(path))
            except (SourceError, OSError):
                continue
            new_text, changed = add_noqa(source.text, found)
            if changed:
                write_atomic(path, encode(new_text, source.encoding))
                total += changed
        return f"Added {total} noqa directive(s)."


def _runtime_check(outcomes: list[Any], cfg: Any, timeout: float) -> list[Any] | None:
    """DLT901 diagnostics from the serialization validator of dlt-agent (imported lazily: the
    agent builds on the linter, not the reverse). None when it cannot run."""
    from dlt_lint.diagnostics import Diagnostic

    candidates = {}
    for o in outcomes:
        if not cfg.is_enabled("DLT901", False, o.file.display):
            continue
        try:
            with open(o.file.path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if b"class " in data and b"keras" in data:
            candidates[os.path.realpath(o.file.path)] = o.file.display
    if not candidates:
        return []
    try:
        from dlt_agent.validator import validate_paths
    except ImportError as exc:
        _err(f"error: --runtime needs dlt-agent and Keras (pip install 'dlt-devkit[framework]'): {exc}")
        return None
    found = validate_paths(sorted(candidates), timeout=timeout)
    out = []
    for d in found:
        display = candidates.get(os.path.realpath(d.filename), d.filename)
        out.append(Diagnostic(d.code, d.message, display, d.start, d.end, d.fix, d.url))
    return out


def _fix_report(outcomes: list[Any], rules: dict[str, Any]) -> str:
    from collections import Counter

    total = sum(len(o.fixed_codes) for o in outcomes)
    lines = [f"\nFixed {total} error{'s' if total != 1 else ''}:\n"]
    for o in outcomes:
        if not o.fixed_codes:
            continue
        lines.append(f"- {o.file.display}:\n")
        for code, count in sorted(Counter(o.fixed_codes).items()):
            name = getattr(rules.get(code), "name", "")
            lines.append(f"    {count} \u00d7 {code} ({name})\n" if name else f"    {count} \u00d7 {code}\n")
    return "".join(lines) + "\n"


def _summary(diags: list[Any], fixed: int, fixing: bool, unsafe: bool) -> str:
    from dlt_lint.output import is_fixable

    n = len(diags)
    if fixing and fixed:
        plural = "s" if n + fixed != 1 else ""
        text = f"Found {n + fixed} error{plural} ({fixed} fixed, {n} remaining).\n"
    elif n == 0:
        return "All checks passed!\n"
    else:
        text = f"Found {n} error{'s' if n != 1 else ''}.\n"
    safe = sum(1 for d in diags if is_fixable(d, unsafe))
    hidden = 0 if unsafe else sum(1 for d in diags if is_fixable(d, True) and not is_fixable(d, False))
    if safe and not fixing:
        text += f"[*] {safe} fixable with the `--fix` option"
        text += (f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the "
                 f"`--unsafe-fixes` option).\n" if hidden else ".\n")
    elif hidden:
        text += (f"No fixes available ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled "
                 f"with the `--unsafe-fixes` option).\n")
    return text


# ============================================================================ rule / rules
_FIX_LABEL = {"none": "-", "safe": "safe", "unsafe": "unsafe", "sometimes": "sometimes"}


@app.command("rule", cls=_Command)
def rule(code: Annotated[str, typer.Argument(help="A rule code, e.g. DLT203.")]) -> None:
    """Print one rule's documentation."""
    from dlt_lint.rule import all_rules

    rules = all_rules()
    r = rules.get(code.strip().upper())
    if r is None:
        _err(f"error: unknown rule code {code!r}; `dlt-lint rules` lists the codes")
        raise typer.Exit(EXIT_ERROR)
    header = f"# {r.code}: {r.name}\n\n{r.summary}\n\nFix: {_FIX_LABEL.get(r.fix_availability, r.fix_availability)}"
    if r.preview:
        header += " (preview rule: enable with --preview)"
    sys.stdout.write(header + "\n\n" + r.documentation() + "\n")
    raise typer.Exit(EXIT_CLEAN)


@app.command("rules", cls=_Command)
def rules_command(
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.",
                                               case_sensitive=False)] = "text",
) -> None:
    """List every rule: code, name, fix, preview, summary."""
    from dlt_lint.rule import all_rules

    rules = all_rules()
    fmt = output_format.lower()
    if fmt == "json":
        data = [{"code": r.code, "name": r.name, "summary": r.summary, "fix": r.fix_availability,
                 "preview": bool(r.preview)} for r in rules.values()]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        raise typer.Exit(EXIT_CLEAN)
    if fmt not in ("text", "full", "concise"):
        raise typer.BadParameter(f"{output_format!r} is not one of text, json", param_hint="--output-format")
    rows = [("CODE", "NAME", "FIX", "PREVIEW", "SUMMARY")]
    rows += [(r.code, r.name, _FIX_LABEL.get(r.fix_availability, r.fix_availability),
              "yes" if r.preview else "-", r.summary) for r in rules.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    raise typer.Exit(EXIT_CLEAN)


@app.command("server", cls=_Command, context_settings={"allow_extra_args": True,
                                                         "ignore_unknown_options": True})
def server(ctx: typer.Context) -> None:
    """Start the language server on stdio (editor integration)."""
    from dlt_lint import lsp

    lsp.main(list(ctx.args))
    raise typer.Exit(EXIT_CLEAN)


# ============================================================================ entry point
def _with_subcommand(args: list[str]) -> list[str]:
    if not args:
        return ["check"]
    first = args[0]
    if first in SUBCOMMANDS or first in ("-h", "--help", "--version"):
        return args
    return ["check", *args]


def run_cli(argv: list[str]) -> int:
    """Run the command line with ``argv`` (without the program name); returns the exit code."""
    args = _with_subcommand(list(argv))
    try:
        command = typer.main.get_command(app)
        _plain_coercion(command)
        code = command.main(args=args, prog_name="dlt-lint", standalone_mode=False)
    except typer.Exit as exc:  # pragma: no cover - click returns it in non-standalone mode
        code = exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, bad value...
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            _err(f"error: {exc.format_message()}")
        code = EXIT_ERROR
    except typer.Abort:
        _err("error: aborted")
        code = EXIT_ERROR
    except Exception as exc:
        _err(f"error: internal error: {type(exc).__name__}: {exc}")
        code = EXIT_ERROR
    sys.stdout.flush()
    return code if isinstance(code, int) else EXIT_CLEAN


def main(argv: Optional[list[str]] = None) -> None:
    """Console entry point (``dlt-lint``): exits with the run's exit code."""
    # A short-lived process that builds many long-lived objects (cached summaries and
    # diagnostics): the cyclic collector would only re-scan them.
    gc.disable()
    raise SystemExit(run_cli(sys.argv[1:] if argv is None else argv))
