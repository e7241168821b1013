"""API keys for scripts and integrations: created and revoked by an admin, stored hashed.

A key is a random token (``cpa_`` and 43 URL-safe characters, 256 bits) shown once when it is
created; the store keeps only its SHA-256, so a leaked database gives no usable key. A client
presents it as ``Authorization: Bearer <token>`` or ``X-API-Key: <token>``; the rate-limit
middleware then counts the key's requests against the key's own limit instead of the per-address
one. Revoking a key takes effect on the next request (no cache), in every worker sharing the data
dir.

One SQLite file under the data dir (``api_keys.sqlite3``), one short-lived connection per write, as
the feedback store does, and one kept-open connection per thread for the per-request check: safe
from any thread and from several processes. Reading a store that was never written creates
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from limits import parse_many

from assistant.storage.sqlite import SqliteFile

TOKEN_PREFIX = "cpa_"
"""Every token starts with this, so a token of ours is recognisable (and a secret scanner can
find one). A credential without it is not an API key of this service (see `looks_like_key`)."""
DEFAULT_RATE = "600/minute"
"""The limit of a key created without one."""
FILE_NAME = "api_keys.sqlite3"
MAX_NAME_CHARS = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    rate TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    admin INTEGER NOT NULL DEFAULT 0
)
"""
_UPGRADES = ("ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0",)
_COLUMNS = "id, name, prefix, rate, created_at, revoked_at, admin"


class KeyStoreError(ValueError):
    """Base of the key store's errors (a request the store refuses)."""


class InvalidKeySpec(KeyStoreError):
    """A name or rate that cannot make a key."""


class UnknownKey(KeyStoreError):
    """No key has this id."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key with id {key_id!r}")


@dataclass(frozen=True)
class ApiKey:
    """What the store knows about a key (never the token)."""

    id: str
    name: str
    prefix: str
    """The token's first characters, to tell keys apart in a list."""
    rate: str
    """Its limit in `limits` notation, e.g. ``600/minute``."""
    created_at: str
    revoked_at: str | None = None
    admin: bool = False
    """An admin key: it may use the admin endpoints and sign in to the admin console."""

    @classmethod
    def of(cls, row: Sequence[Any]) -> ApiKey:
        """A key from a row of `_COLUMNS`."""
        key_id, name, prefix, rate, created_at, revoked_at, admin = row
        return cls(key_id, name, prefix, rate, created_at, revoked_at, bool(admin))

    @property
    def revoked(self) -> bool:
        """Whether the key was revoked (it is then refused)."""
        return self.revoked_at is not None


@dataclass(frozen=True)
class NewKey:
    """A key just created, with its token: the only time the token is known."""

    key: ApiKey
    token: str


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex. A token has 256 random bits, so an unsalted
    fast hash is enough (nothing to brute-force)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_admin(keys: KeyStore | None, token: str) -> ApiKey | None:
    """The admin key `token` belongs to when it is one and is not revoked, else None."""
    if keys is None or not looks_like_key(token):
        return None
    key = keys.verify(token)
    return key if key is not None and key.admin and not key.revoked else None


@dataclass(frozen=True)
class AdminHolder:
    """Who holds admin rights for a request: the admin key itself (`key_id` None) or an active
    admin API key."""

    key_id: str | None


def admin_holder(keys: KeyStore | None, admin_key: str, offered: str) -> AdminHolder | None:
    """`offered` as an admin credential: the admin key (compared in constant time), an active
    admin API key, or None for anything else."""
    if hmac.compare_digest(offered.encode("utf-8"), admin_key.encode("utf-8")):
        return AdminHolder(None)
    key = active_admin(keys, offered)
    return AdminHolder(key.id) if key is not None else None


def looks_like_key(credential: str) -> bool:
    """Whether a presented credential is meant as one of our keys (it has the prefix).

    OpenAI clients must send some bearer token (``api_key="unused"``); such a credential is not a
    key of this service and leaves the request anonymous. A credential with the prefix is checked,
    and refused when it is unknown or revoked.
    """
    return credential.startswith(TOKEN_PREFIX)


def check_rate(rate: str) -> str:
    """`rate` stripped, or InvalidKeySpec when `limits` cannot parse it."""
    text = rate.strip()
    try:
        items = parse_many(text) if text else []
    except ValueError as exc:
        raise InvalidKeySpec(
            f"invalid rate {rate!r}: use `limits` notation, e.g. 600/minute"
        ) from exc
    if not items:
        raise InvalidKeySpec("a key needs a rate, e.g. 600/minute")
    return text


def _check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME_CHARS or not text.isprintable():
        raise InvalidKeySpec(f"a key's name is 1 to {MAX_NAME_CHARS} printable characters")
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    """API keys in one SQLite file (created on the first write)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = SqliteFile(path, _SCHEMA, _UPGRADES)
        self._local = threading.local()

    @classmethod
    def in_dir(cls, data_dir: Path) -> KeyStore:
        """The store of a data dir (``DATA_DIR/api_keys.sqlite3``)."""
        return cls(data_dir / FILE_NAME)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def _connect(self) -> sqlite3.Connection:
        return self._db.connect(synchronous=None)

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for `verify`, kept open: the check runs on every keyed
        request. Each query reads the latest commit, so a revocation counts at once."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def create(self, name: str, rate: str = DEFAULT_RATE, admin: bool = False) -> NewKey:
        """A new key named `name` with limit `rate` (an admin key with `admin`); its token is in
        the result and nowhere else."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=secrets.token_hex(6),
            name=_check_name(name),
            prefix=token[: len(TOKEN_PREFIX) + 4],
            rate=check_rate(rate),
            created_at=_now(),
            admin=admin,
        )
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, token_hash, prefix, rate, created_at, admin)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    hash_token(token),
                    key.prefix,
                    key.rate,
                    key.created_at,
                    int(admin),
                ),
            )
        return NewKey(key, token)

    def all(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        if not self._path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY rowid").fetchall()
        return [ApiKey.of(row) for row in rows]

    def get(self, key_id: str) -> ApiKey:
        """The key with this id, or UnknownKey."""
        if self._path.exists():
            with closing(self._connect()) as conn:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)
                ).fetchone()
            if row is not None:
                return ApiKey.of(row)
        raise UnknownKey(key_id)

    def revoke(self, key_id: str) -> ApiKey:
        """Refuse the key from now on (revoking twice keeps the first time); UnknownKey if none."""
        if self._path.exists():
            with closing(self._connect()) as conn, conn:
                conn.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    (_now(), key_id),
                )
        return self.get(key_id)

    def verify(self, token: str) -> ApiKey | None:
        """The key this token belongs to (revoked or not), or None for an unknown token."""
        if not looks_like_key(token) or not self._path.exists():
            return None
        digest = hash_token(token)
        query = f"SELECT {_COLUMNS}, token_hash FROM api_keys WHERE token_hash = ?"
        rows = self._reader().execute(query, (digest,)).fetchall()  # ends the read transaction
        row = rows[0] if rows else None
        if row is None or not hmac.compare_digest(str(row[-1]), digest):
            return None
        return ApiKey.of(row[:-1])
