"""Loading and rendering the Jinja2 templates (bundled, or overridden with ``--templates DIR``)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any, Mapping

import jinja2

__all__ = ["TemplateError", "bundled_templates_dir", "make_environment", "render_template"]


class TemplateError(RuntimeError):
    """A template is missing or cannot be rendered."""


def bundled_templates_dir() -> Path:
    """Directory of the templates shipped with ``dlt_agent`` (package data ``templates/``)."""
    root = importlib.resources.files("dlt_agent") / "templates"
    path = Path(str(root))
    if not path.is_dir():  # pragma: no cover - broken installation
        raise TemplateError(f"the bundled templates are missing: {path} is not a directory")
    return path


def make_environment(override_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment; a file in ``override_dir`` wins over the bundled one of that name.

    :param override_dir: user template directory (``--templates``), or ``None``.
    :raises TemplateError: ``override_dir`` is not a directory.
    """
    searchpath = []
    if override_dir is not None:
        override_dir = Path(override_dir)
        if not override_dir.is_dir():
            raise TemplateError(f"--templates {override_dir}: not a directory")
        searchpath.append(str(override_dir))
    searchpath.append(str(bundled_templates_dir()))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(searchpath),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name``; every Jinja2 problem becomes a :class:`TemplateError`."""
    try:
        template = env.get_template(name)
        text = template.render(**context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {exc.filename or exc.name}:{exc.lineno}: syntax error: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name}: {exc.message}") from exc
    except Exception as exc:  # noqa: BLE001 - any error inside a template is a render error
        raise TemplateError(f"template {name}: {type(exc).__name__}: {exc}") from exc
    if not text.endswith("\n"):
        text += "\n"
    return text
