"""Opening the SQLite store's file, its journal modes and its transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import StoreUnavailable

if TYPE_CHECKING:
    from . import SQLiteStore

__all__ = ["PAGE_SIZE", "Connection"]


#: Bytes per page of a new store file.
PAGE_SIZE = 16384
#: How long a connection waits for another's write to end.
_BUSY_TIMEOUT_MS = 60_000


class Connection:
    """The connection to the store's file: opened with the store, every write in one transaction."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.location = str(self.path)
        try:
            self._db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            # Larger than SQLite's default: a register's rows fill fewer pages, and a load writes
            # less. Only a new file takes it (before the journal becomes WAL).
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            # A streamed write holding the store in rollback-journal mode sets WAL back when it ends.
            self._journal_mode("WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._db.execute("PRAGMA cache_size=-200000")
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"cannot open the store {self.location}: {error}") from None
        self.init()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open ``sqlite3`` connection, to look at the file (tables, pragmas, indexes) in
        diagnostics and tests. A write through it bypasses the store's checks and leaves the
        derived tables unrebuilt."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _rollback_journal(self) -> Iterator[None]:
        """Keep the store to this connection, in rollback-journal mode, when no other connection has
        it open: a large write then goes to the file once, not to the WAL first and then
        again by the checkpoint. Connections opened meanwhile wait for it, as they already
        wait for any write; with another one open, the WAL stays."""
        switched = self._journal_mode("DELETE") == "delete"
        if switched:
            # The rollback journal is safe from power loss only with a sync before and after it.
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            if switched:
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._journal_mode("WAL")

    def _journal_mode(self, mode: str) -> str | None:
        """Ask for a journal mode without waiting: None when another connection holds the store."""
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            return self._db.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
        except sqlite3.OperationalError:
            return None
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")

    def _transaction(self):
        store = self

        class _Transaction:
            def __enter__(self_inner):
                store._db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, exc_type, exc, tb):
                if exc_type is None:
                    store._db.execute("COMMIT")
                else:
                    store._db.execute("ROLLBACK")
                return False

        return _Transaction()

    def _fill_temp(self, table: str, rows: Iterable[tuple], columns: tuple[str, ...] = ("id",)) -> None:
        """(Re)fill a temporary key table used to join a set of ids or keys."""
        names = ", ".join(columns)
        self._db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({names}, PRIMARY KEY ({names})) WITHOUT ROWID")
        self._db.execute(f"DELETE FROM {table}")
        self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * len(columns))})", rows)
