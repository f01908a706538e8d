"""``dlt-agent`` command line: generators (``new-*``) and the serialization validator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from dlt_agent.kinds import KINDS

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Generate dl_techniques layers from templates (registered, linted, validated) and "
    "check that Keras classes survive serialization.",
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _run_generate(kind: str, name: str, dest: Optional[Path], tests_dir: Optional[Path], register: bool,
                  dry_run: bool, force: bool, templates: Optional[Path], json_output: bool, validate: bool,
                  backend: Optional[List[str]], timeout: float, description: Optional[str], rope: bool = False,
                  causal: bool = False, probability_type: str = "softmax") -> None:
    from dlt_agent.pipeline import GenerateOptions, generate
    from dlt_agent.report import print_generation, print_step

    options = GenerateOptions(
        kind=kind, name=name, dest=dest, tests_dir=tests_dir, register=register, dry_run=dry_run,
        force=force, rope=rope, causal=causal, probability_type=probability_type, templates=templates,
        validate=validate, backends=list(backend) if backend else None, timeout=timeout,
        description=description,
    )
    if json_output:
        result = generate(options)
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        console = Console(highlight=False)
        console.print(f"[bold]dlt-agent {KINDS[kind].command}[/bold] {name}")
        result = generate(options, on_step=lambda r: print_step(console, r))
        if dry_run and result.ok:
            sys.stdout.write(result.diff())
        print_generation(console, result)
        if not result.ok:
            sys.stderr.write(f"dlt-agent: {result.failed_step}: {result.error}\n")
    if not result.ok:
        raise typer.Exit(EXIT_USAGE if result.failed_step == "plan" else EXIT_FAILED)


# Shared option declarations ---------------------------------------------------------------
_NAME = typer.Argument(..., help="Layer name: MyAttn, my_attn, HTTPAttention, Attn2D ...")
_DEST = typer.Option(None, "--dest", help="Package directory for the new module (default: the bundled "
                     "framework's package for this kind).", file_okay=False)
_TESTS = typer.Option(None, "--tests-dir", help="Where the test file goes (default: tests/framework next "
                      "to the framework, else the destination).", file_okay=False)
_REGISTER = typer.Option(True, "--register/--no-register", help="Register in the factory and export from "
                         "the package __init__.")
_DRY = typer.Option(False, "--dry-run", help="Print the new files and registry changes as a diff; write nothing.")
_FORCE = typer.Option(False, "--force", help="Overwrite / re-register when the name already exists.")
_TEMPLATES = typer.Option(None, "--templates", help="Directory whose templates override the bundled ones "
                          "(same file name wins).", file_okay=False)
_JSON = typer.Option(False, "--json", help="Print a machine-readable JSON result.")
_VALIDATE = typer.Option(True, "--validate/--no-validate", help="Run the serialization validator on the "
                         "staged files before writing.")
_BACKEND = typer.Option(None, "--backend", help="tensorflow or jax (repeatable; default: every installed one).")
_TIMEOUT = typer.Option(120.0, "--timeout", help="Validator time limit per backend, in seconds.")
_DESCRIPTION = typer.Option(None, "--description", help="One-line description for docstring and registry.")


@app.command("new-attention")
def new_attention(
    name: str = _NAME, dest: Optional[Path] = _DEST, tests_dir: Optional[Path] = _TESTS,
    register: bool = _REGISTER, dry_run: bool = _DRY, force: bool = _FORCE,
    rope: bool = typer.Option(False, "--rope", help="Add use_rope / max_seq_len / rope_theta (RoPE via the "
                              "embedding factory)."),
    causal: bool = typer.Option(False, "--causal", help="Add a causal flag (default True) to the constructor."),
    probability_type: str = typer.Option("softmax", "--probability-type", help="Default ProbabilityOutput type."),
    templates: Optional[Path] = _TEMPLATES, json_output: bool = _JSON, validate: bool = _VALIDATE,
    backend: Optional[List[str]] = _BACKEND, timeout: float = _TIMEOUT, description: Optional[str] = _DESCRIPTION,
) -> None:
    """Create an attention layer (guide-000 constructor, ProbabilityOutput scores, mask helper)."""
    _run_generate("attention", name, dest, tests_dir, register, dry_run, force, templates, json_output, validate,
                  backend, timeout, description, rope=rope, causal=causal, probability_type=probability_type)


def _simple_command(kind: str, doc: str) -> None:
    def command(
        name: str = _NAME, dest: Optional[Path] = _DEST, tests_dir: Optional[Path] = _TESTS,
        register: bool = _REGISTER, dry_run: bool = _DRY, force: bool = _FORCE,
        templates: Optional[Path] = _TEMPLATES, json_output: bool = _JSON, validate: bool = _VALIDATE,
        backend: Optional[List[str]] = _BACKEND, timeout: float = _TIMEOUT,
        description: Optional[str] = _DESCRIPTION,
    ) -> None:
        _run_generate(kind, name, dest, tests_dir, register, dry_run, force, templates, json_output, validate,
                      backend, timeout, description)

    command.__doc__ = doc
    command.__name__ = f"new_{kind}"
    app.command(KINDS[kind].command)(command)


_simple_command("ffn", "Create a feed-forward block registered in the FFN factory.")
_simple_command("norm", "Create a normalization layer registered in the normalization factory.")
_simple_command("embedding", "Create an embedding layer registered in the embedding factory.")
_simple_command("layer", "Create a generic Keras layer (exported from its package).")
_simple_command("model", "Create a Keras model built from framework factories.")


def _parse_args(items: List[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise typer.BadParameter(f"--arg {item!r}: expected NAME=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value  # a bare string
    return out


@app.command("validate")
def validate_command(
    targets: List[str] = typer.Argument(..., help="PATH (file or package dir) or MODULE, optionally :Class."),
    backend: Optional[List[str]] = _BACKEND,
    timeout: float = _TIMEOUT,
    arg: Optional[List[str]] = typer.Option(None, "--arg", help="Constructor override NAME=JSON_VALUE "
                                            "(repeatable), e.g. --arg num_heads=2."),
    json_output: bool = _JSON,
) -> None:
    """Check that Keras classes survive get_config/from_config and .keras save/load (DLT901)."""
    from dlt_agent.report import print_validation
    from dlt_agent.validator import resolve_target, validate_targets

    overrides = _parse_args(arg or [])
    resolved = []
    try:
        for spec in targets:
            resolved.extend(resolve_target(spec))
        report = validate_targets(resolved, backend or None, timeout, overrides)
    except ValueError as exc:
        sys.stderr.write(f"dlt-agent validate: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from exc
    if json_output:
        data = report.to_json()
        data["diagnostics"] = [d.to_json() for d in report.diagnostics()]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        print_validation(Console(highlight=False), report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def main(argv: Optional[List[str]] = None) -> int:
    """Console-script entry point; returns the exit code."""
    try:
        app(args=argv, prog_name="dlt-agent", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
