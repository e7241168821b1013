"""MkDocs hooks: the pages that are generated from the code, so that they cannot drift from it.

- `<!-- settings -->` becomes the table of every setting (environment variable, default, meaning),
  read from `assistant.settings.Settings` and its nested models;
- `<!-- openapi -->` becomes the reference of every HTTP endpoint, read from the app's OpenAPI
  schema, which is also written beside the site as `openapi.json`.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from assistant.settings import Settings

PREFIX = "ASSISTANT_"
METHODS = ("get", "post", "put", "patch", "delete")


def _default(field: FieldInfo) -> str:
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return "*(none)*"
    if isinstance(value, SecretStr):
        return "*(empty)*" if not value.get_secret_value() else "*(set)*"
    if isinstance(value, Path):
        return f"`{value.name if value.is_absolute() else value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | tuple | dict):
        return f"`{json.dumps(value, default=str)}`"
    text = str(value)
    return f"`{text}`" if text else "*(empty)*"


def _rows(model: type[BaseModel], path: tuple[str, ...]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, (*path, name)))
            continue
        variable = PREFIX + "__".join((*path, name)).upper()
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append((variable, _default(field), meaning))
    return rows


def settings_rows() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, in the class's order."""
    return _rows(Settings, ())


def settings_table() -> str:
    """The settings as a Markdown table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{v}` | {d} | {m} |" for v, d, m in settings_rows()]
    return "\n".join(lines)


@cache
def openapi_schema() -> dict[str, Any]:
    """The service's OpenAPI schema, from an app over an empty data dir (nothing is loaded)."""
    from api.app import create_app
    from assistant.container import Container

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir))  # type: ignore[call-arg]
        schema: dict[str, Any] = create_app(Container(settings)).openapi()
    return schema


def _schema_name(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    for media, content in body.get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        name = ref.rsplit("/", 1)[-1] if ref else "body"
        return f"`{media}`: `{name}`" if ref else f"`{media}`"
    return ""


def openapi_reference() -> str:
    """Every endpoint of the schema: summary, description, body, parameters and statuses."""
    schema = openapi_schema()
    out: list[str] = []
    for path, operations in schema["paths"].items():
        for method in METHODS:
            op = operations.get(method)
            if op is None:
                continue
            out.append(f"### `{method.upper()} {path}`\n")
            if op.get("description"):
                out.append(op["description"].strip() + "\n")
            params = [
                f"`{p['name']}` ({p['in']}{', required' if p.get('required') else ''})"
                for p in op.get("parameters", [])
            ]
            if params:
                out.append("Parameters: " + ", ".join(params) + ".\n")
            body = _schema_name(op.get("requestBody"))
            if body:
                out.append(f"Body: {body}.\n")
            statuses = ", ".join(
                f"`{code}` {' '.join(r.get('description', '').split())}"
                for code, r in op.get("responses", {}).items()
            )
            out.append(f"Responses: {statuses}\n")
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Fill the generated parts of a page."""
    if "<!-- settings -->" in markdown:
        markdown = markdown.replace("<!-- settings -->", settings_table())
    if "<!-- openapi -->" in markdown:
        markdown = markdown.replace("<!-- openapi -->", openapi_reference())
    return markdown


def on_post_build(config: Any, **_: Any) -> None:
    """Publish the schema itself beside the pages."""
    target = Path(config["site_dir"]) / "openapi.json"
    target.write_text(json.dumps(openapi_schema(), indent=1), encoding="utf-8")
