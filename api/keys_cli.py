"""`cluster-assistant keys create|list|revoke`: API keys in DATA_DIR/api_keys.sqlite3.

`create` prints the token alone on stdout (``TOKEN=$(cluster-assistant keys create --name x)``)
and what to do with it on stderr; the token cannot be shown again.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.keys import DEFAULT_RATE, InvalidKeySpec, KeyStore, UnknownKey
from assistant.cli import console
from assistant.settings import get_settings

keys_app = typer.Typer(help="API keys for scripts: `keys create --name NAME`, `list`, `revoke ID`.")


def _store() -> KeyStore:
    return KeyStore.in_dir(get_settings().data_dir)


@keys_app.command()
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. `nightly-eval`.")],
    rate: Annotated[
        str, typer.Option(help="Its own limit in `limits` notation, e.g. 600/minute.")
    ] = DEFAULT_RATE,
    admin: Annotated[
        bool,
        typer.Option(help="An admin key: admin endpoints and the admin console's sign-in."),
    ] = False,
) -> None:
    """Create a key; its token is printed once, on stdout."""
    try:
        new = _store().create(name, rate, admin)
    except InvalidKeySpec as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"created {'admin ' if admin else ''}key {new.key.id} ({new.key.name}, {new.key.rate}). "
        "Store the token now: it cannot be shown again. Send it as "
        "`Authorization: Bearer <token>` or `X-API-Key`."
    )
    sys.stdout.write(new.token + "\n")


@keys_app.command("list")
def list_keys() -> None:
    """Every key (never the tokens)."""
    keys = _store().all()
    if not keys:
        console.print("no API keys (create one with `cluster-assistant keys create --name NAME`)")
        return
    table = Table()
    for column in ("id", "name", "prefix", "rate", "admin", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            key.prefix,
            key.rate,
            "yes" if key.admin else "",
            key.created_at,
            key.revoked_at or "",
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)


@keys_app.command()
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key: its next request gets 401."""
    try:
        key = _store().revoke(key_id)
    except UnknownKey as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"revoked key {key.id} ({key.name}) at {key.revoked_at}")
