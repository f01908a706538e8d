"""Human-readable summaries (rich) of generations and validations."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dlt_agent.pipeline import GenerationResult, StepRecord
from dlt_agent.validator import ValidationReport

__all__ = ["print_step", "print_generation", "print_validation"]

_STATUS_STYLE = {"ok": "green", "failed": "bold red", "skipped": "yellow"}


def _rel(path: Path | str | None) -> str:
    if path is None:
        return "-"
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def print_step(console: Console, record: StepRecord) -> None:
    """One progress line per finished step."""
    style = _STATUS_STYLE.get(record.status, "")
    line = Text(f"  {record.name:<9}", style="bold")
    line.append(f"{record.status:<8}", style=style)
    line.append(f"{record.seconds:6.2f}s  ")
    line.append(record.detail if len(record.detail) < 160 else record.detail[:157] + "...")
    console.print(line)


def print_validation_table(console: Console, report: ValidationReport, title: str = "Validation") -> None:
    """One row per class and backend."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("backend")
    table.add_column("class")
    table.add_column("result")
    table.add_column("input / failure", overflow="fold")
    for r in report.results:
        who = r.class_name or r.module
        if r.ok:
            table.add_row(r.backend, who, Text("ok", style="green"), r.note or r.input or "")
        else:
            table.add_row(r.backend, who, Text(f"{r.stage} failed", style="bold red"), r.message)
    console.print(table)
    times = ", ".join(f"{b}: {s:.1f}s" for b, s in report.seconds.items())
    console.print(f"  backend wall time: {times}")


def print_generation(console: Console, result: GenerationResult) -> None:
    """Summary of a generation: files, registration, lint, validation, timings."""
    opts = result.options
    console.print()
    if result.names is not None:
        head = f"[bold]{result.names.class_name}[/bold] ({opts.kind})"
        head += f"  module [cyan]{result.package}.{result.names.module_name}[/cyan]"
        if result.options.register:
            head += f"  key [cyan]{result.names.factory_key}[/cyan]"
        console.print(head)
    files = Table(title="Files" + (" (dry run: nothing written)" if opts.dry_run else ""), title_justify="left")
    files.add_column("action")
    files.add_column("path", overflow="fold")
    files.add_column("lines", justify="right")
    for f in result.files:
        if not f.changed:
            continue
        action = "create" if f.is_new else "modify"
        if not result.written:
            action = f"would {action}"
        files.add_row(action, _rel(f.path), str(f.after.count("\n")))
    if files.row_count:
        console.print(files)
    if result.registration:
        console.print("[bold]Registered[/bold]")
        for line in result.registration:
            console.print(f"  + {line}")
    if result.lint is not None:
        status = "[green]clean[/green]" if result.lint.ok else "[bold red]findings left[/bold red]"
        console.print(f"[bold]dlt-lint[/bold] (all rules): {status}, {result.lint.fixed} safe fix(es) applied")
        for p in result.lint.problems()[:20]:
            console.print(f"  {p}")
    if result.validation is not None:
        print_validation_table(console, result.validation)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    timing = Table(title="Timings", title_justify="left")
    timing.add_column("step")
    timing.add_column("status")
    timing.add_column("seconds", justify="right")
    for s in result.steps:
        timing.add_row(s.name, Text(s.status, style=_STATUS_STYLE.get(s.status, "")), f"{s.seconds:.2f}")
    timing.add_row("total", "", f"{result.total_seconds:.2f}")
    console.print(timing)
    if result.ok:
        verb = "would be written (dry run)" if opts.dry_run else "written"
        console.print(f"[green]done[/green]: {sum(1 for f in result.files if f.changed)} file(s) {verb}")
    else:
        console.print(f"[bold red]failed at step '{result.failed_step}'[/bold red]: {result.error}")
        console.print("nothing in the destination was changed")


def print_validation(console: Console, report: ValidationReport) -> None:
    """Summary of ``dlt-agent validate``."""
    print_validation_table(console, report)
    failures = report.failures()
    if failures:
        console.print(f"[bold red]{len(failures)} failure(s)[/bold red]")
        for d in report.diagnostics():
            console.print(f"{_rel(d.filename)}:{d.start.row}:{d.start.column + 1}: {d.code} {d.message}",
                          markup=False, highlight=False)
    else:
        console.print(f"[green]all {len(report.results)} check(s) passed[/green]")
