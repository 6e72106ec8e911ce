"""The connection to the Neo4j server: the driver, sessions, and driver errors as the store's own.

This is the one module that imports ``neo4j``."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import neo4j
from neo4j import exceptions as neo4j_errors

from ...errors import AuthenticationFailed, StoreError, StoreUnavailable, UsageError

if TYPE_CHECKING:
    from . import Neo4jStore

__all__ = ["BATCH_RECORDS", "BATCH_RECORDS_VARIABLE", "CHUNK_SIZE", "DIRECT_STREAM_RECORDS", "Connection"]


#: The driver's types, for the other modules' annotations.
Session = neo4j.Session
Transaction = neo4j.ManagedTransaction | neo4j.Transaction
Record = neo4j.Record
#: The errors that mean the server failed or refused, not the data.
DRIVER_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError)
#: The error of a schema statement the server refused.
ClientError = neo4j_errors.ClientError

# The driver logs retries as warnings; the store reports failures itself, as one line.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

#: rows per ``UNWIND`` query
CHUNK_SIZE = 20_000
#: a streamed source of at most this many records is written as a batch is, in one transaction;
#: a longer one in transactions of at most :data:`BATCH_RECORDS` records (see :meth:`Neo4jStore.write_stream`)
DIRECT_STREAM_RECORDS = 200_000
BATCH_RECORDS = 50_000
#: environment variable setting both (a number of records), for tests and small servers
BATCH_RECORDS_VARIABLE = "MAILLAGE_NEO4J_BATCH_RECORDS"


def _reason(error: Exception) -> str:
    """The useful part of a driver error, on one line."""
    text = " ".join(str(error).split())
    match = re.search(r"\(reason:? ([^()]*(?:\([^()]*\)[^()]*)*)\)", text)
    return match.group(1) if match else text


class _StaleLoad(Exception):
    """Raised by a writer that took the store lock and found a pending load: as no load holds
    the lock, that load was killed or failed; its data is removed and the write tried again."""


class Connection:
    """The driver of a :class:`~maillage.graph.store.neo4j.Neo4jStore`: sessions, reads, managed
    write transactions, and driver errors raised as the store's own."""

    def __init__(self, uri: str, user: str | None = None, password: str | None = None, database: str | None = None):
        _scheme, _, rest = uri.partition("://")
        if "@" in rest.split("/", 1)[0]:
            raise UsageError(
                "a store URI must not carry credentials (user:password@host): "
                "give the user in NEO4J_USER and the password in NEO4J_PASSWORD or at the prompt"
            )
        self.location = uri
        self.database = database or None
        self.user = user or os.environ.get("NEO4J_USER") or "neo4j"
        if password is None:
            password = os.environ.get("NEO4J_PASSWORD")
        if password is None:
            raise AuthenticationFailed(f"no password for the Neo4j server at {uri}: set NEO4J_PASSWORD")
        self._schema_checked = False
        self.direct_stream_records = DIRECT_STREAM_RECORDS
        self.batch_records = BATCH_RECORDS
        configured = os.environ.get(BATCH_RECORDS_VARIABLE)
        if configured:
            try:
                self.direct_stream_records = self.batch_records = int(configured)
            except ValueError:
                raise UsageError(f"{BATCH_RECORDS_VARIABLE} must be a number of records, not {configured!r}") from None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(self.user, password),
                connection_timeout=10.0,
                max_transaction_retry_time=15.0,
                notifications_min_severity="OFF",
                user_agent="maillage",
            )
        except (ValueError, neo4j_errors.ConfigurationError) as error:
            raise UsageError(f"cannot use {uri} as a Neo4j store: {_reason(error)}") from None
        try:
            with self._errors():
                self._driver.verify_connectivity()
        except BaseException:
            self._driver.close()
            raise

    def __repr__(self) -> str:
        return f"Neo4jStore({self.location!r}, user={self.user!r}, database={self.database!r})"

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    # ------------------------------------------------------------------ errors

    def _errors(self):
        store = self

        class _Translate:
            def __enter__(self_inner):
                return None

            def __exit__(self_inner, exc_type, exc, tb):
                if exc is None or not isinstance(exc, (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError)):
                    return False
                raise store._translate(exc) from None

        return _Translate()

    def _translate(self, error: Exception) -> Exception:
        where = f"the Neo4j server at {self.location}"
        if isinstance(error, neo4j_errors.AuthError):
            return AuthenticationFailed(
                f"{where} refused the credentials of user {self.user!r} (check NEO4J_USER and NEO4J_PASSWORD)"
            )
        if isinstance(error, neo4j_errors.ConfigurationError):
            return UsageError(f"cannot use {self.location} as a Neo4j store: {_reason(error)}")
        reason = _reason(error)
        if isinstance(error, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
            encrypted = self.location.partition("://")[0].lower().endswith(("+s", "+ssc"))
            ssl_error = re.search(r"\[(SSL\w*|CERTIFICATE\w*)\]", reason)
            if "certificate" in reason.lower() and "verify" in reason.lower():
                return StoreUnavailable(
                    f"cannot verify the TLS certificate of {where}: use +ssc to accept a self-signed one"
                )
            if ssl_error or (encrypted and "routing information" in reason):
                detail = f" ({ssl_error.group(1)})" if ssl_error else ""
                return StoreUnavailable(
                    f"cannot open an encrypted (TLS) connection to {where}{detail}: the server does not answer "
                    "with TLS or cannot be reached; if it does not offer TLS, use neo4j:// or bolt://"
                )
            if reason == "Unable to retrieve routing information":
                reason = "no answer (is it running, and are the host and port right?)"
            return StoreUnavailable(f"cannot reach {where}: {reason}")
        if isinstance(error, neo4j_errors.Neo4jError):
            code = error.code or ""
            if code.endswith("DatabaseNotFound"):
                return StoreUnavailable(f"{where} has no database {self.database!r}")
            if "MemoryPoolOutOfMemoryError" in code or "TransactionOutOfMemory" in code:
                return StoreError(
                    f"{where} ran out of transaction memory (a workbook, or a register's part that existed "
                    f"before, is written in one transaction; a register's new part in transactions of "
                    f"{BATCH_RECORDS_VARIABLE} records): load it in smaller parts (a register by --departement "
                    "or --commune), lower that setting, or give the server more heap (server.memory.heap.max_size)"
                )
            if isinstance(error, neo4j_errors.TransientError):
                return StoreUnavailable(f"{where} kept failing ({code}): {error.message}")
            return StoreError(f"{where} refused a query ({code}): {error.message}")
        return StoreUnavailable(f"cannot use {where}: {reason}")

    # ------------------------------------------------------------------ plumbing

    def _session(self, write: bool = False, fetch_size: int | None = None):
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        options = {} if fetch_size is None else {"fetch_size": fetch_size}
        return self._driver.session(database=self.database, default_access_mode=mode, **options)

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        with self._errors(), self._session() as session:
            return session.execute_read(lambda tx: list(tx.run(query, params)))

    def query(self, text: str, **params: Any) -> list[neo4j.Record]:
        """The records of a read-only Cypher query, for diagnostics and tests that look at what the
        database holds (labels, properties, indexes, transactions). ``text`` is the caller's own,
        never data: values travel in ``params``."""
        return self._read(text, **params)

    def run_write(self, work: Callable[[neo4j.ManagedTransaction], Any]) -> Any:
        """Run ``work(tx)`` in one managed write transaction, once the schema is checked, and return
        what it returns: for maintenance and for tests that set a database up as an older version
        wrote it. ``work`` takes the store lock itself if it changes what other writers read."""
        return self._write(work)

    def _stream(self, query: str, fetch_size: int | None = None, **params: Any) -> Iterator[neo4j.Record]:
        """Records of a read query, as the server sends them (never all held by the driver): by
        ``fetch_size`` at a time (default: the driver's)."""
        with self._errors(), self._session(fetch_size=fetch_size) as session:
            result = session.run(query, params)
            yield from result

    def _write(self, work: Callable[[neo4j.ManagedTransaction], Any]) -> Any:
        self._ensure_schema()
        while True:
            try:
                with self._errors(), self._session(write=True) as session:
                    return session.execute_write(work)
            except _StaleLoad:
                self._clean_stale_loads()
