"""Who works, and what opening a store asks of them: the contributor's name, the Neo4j user
and password."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

from ..graph.errors import UsageError
from ..graph.store import is_neo4j_location

__all__ = ["default_contributor", "no_password", "store_options"]


def default_contributor() -> str:
    """The user's login name, who brings the data when no contributor is named."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def store_options(
    location: str, database: str | None = None, ask_password: Callable[[str, str], str] | None = None
) -> dict[str, Any]:
    """The options :func:`~maillage.graph.store.open_store` needs for ``location``: the
    ``database``, and for Neo4j the user (``NEO4J_USER``, default ``neo4j``) and the password
    (``NEO4J_PASSWORD``, else ``ask_password(user, location)``).

    Examples
    --------
    >>> store_options("maillage.db"), store_options("maillage.db", "other")
    ({}, {'database': 'other'})
    """
    if not is_neo4j_location(location):
        return {"database": database} if database else {}
    user = os.environ.get("NEO4J_USER") or "neo4j"
    password = os.environ.get("NEO4J_PASSWORD")
    if password is None:
        if ask_password is None:
            raise no_password(user, location)
        password = ask_password(user, location)
    return {"user": user, "password": password, "database": database}


def no_password(user: str, location: str) -> UsageError:
    """The error when Neo4j asks a password that nobody gave."""
    return UsageError(f"no password for {user} at {location}: set NEO4J_PASSWORD, or run from a terminal to be asked")
