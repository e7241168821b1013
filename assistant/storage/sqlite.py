"""One SQLite file of the data dir: its schema created on first use, in WAL mode, and a
short-lived connection per call (SQLite serialises writers; WAL lets readers run alongside), so
a store built on it is safe to use from any thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any


class SqliteFile:
    """A database file and the schema its tables need."""

    def __init__(self, path: Path, schema: str, upgrades: Sequence[str] = ()) -> None:
        """`upgrades`: `ALTER TABLE … ADD COLUMN` statements that bring a file written by an
        earlier version up to `schema` (a column already there is left as it is)."""
        self.path = path
        self._schema = schema
        self._upgrades = tuple(upgrades)
        self._lock = threading.Lock()
        self._ready = False

    def connect(self, synchronous: str | None = "NORMAL") -> sqlite3.Connection:
        """A new connection, the file and its tables created first if need be
        (`synchronous`: the `PRAGMA synchronous` level, None to keep SQLite's)."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with closing(sqlite3.connect(self.path, timeout=30)) as conn:
                        conn.execute("PRAGMA journal_mode=WAL")
                        conn.executescript(self._schema)
                        for statement in self._upgrades:
                            try:
                                conn.execute(statement)
                            except sqlite3.OperationalError as exc:
                                if "duplicate column" not in str(exc):
                                    raise
                        conn.commit()
                    self._ready = True
        conn = sqlite3.connect(self.path, timeout=30)
        if synchronous:
            conn.execute(f"PRAGMA synchronous={synchronous}")
        return conn

    def insert(self, sql: str, row: Sequence[Any]) -> int:
        """Run one INSERT durably; the new row's id."""
        with closing(self.connect()) as conn, conn:
            new_id = conn.execute(sql, row).lastrowid
        assert new_id is not None
        return int(new_id)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row a SELECT returns."""
        with closing(self.connect()) as conn:
            return conn.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        """Rows in `table` (a name of this file's schema, never user input)."""
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])
