"""Exceptions raised by maillage.

Every error the library raises on purpose derives from :class:`MaillageError`,
so the command line can turn it into one clean line and an exit code::

    MaillageError                      any error maillage raises on purpose
    ├── ModelError                     a value breaks the data model
    │   ├── UnknownKind                  kind outside the closed list
    │   ├── UnknownRelationType          relation type outside the closed list
    │   └── InvalidCode                  malformed INSEE / SIREN / SIRET / RNA code
    ├── ResolutionError                an actor reference cannot be resolved
    │   ├── UnknownReference             no actor has this id, name or alias
    │   └── AmbiguousReference           several actors match; lists the candidates
    ├── NoPath                         no path joins two actors in the graph analysed
    ├── LoadError                      a source was rejected; nothing was written
    │                                  (carries the full list of problems)
    ├── StoreError                     the store cannot do what was asked
    │   ├── StoreUnavailable             cannot reach / open the store
    │   ├── AuthenticationFailed         the store refused the credentials
    │   └── ConcurrentChange             a source changed between reading and rewriting it
    └── UsageError                     the request itself is wrong (exit code 2)

``MaillageError.exit_code`` is 1 for bad data and unavailable stores, 2 for misuse.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousReference",
    "AuthenticationFailed",
    "ConcurrentChange",
    "InvalidCode",
    "LoadError",
    "MaillageError",
    "ModelError",
    "NoPath",
    "ResolutionError",
    "StoreError",
    "StoreUnavailable",
    "UnknownKind",
    "UnknownReference",
    "UnknownRelationType",
    "UsageError",
]


class MaillageError(Exception):
    """Base of every error maillage raises on purpose."""

    exit_code = 1


class ModelError(MaillageError, ValueError):
    """A value does not fit the data model."""


class UnknownKind(ModelError):
    """A node kind outside the closed list."""


class UnknownRelationType(ModelError):
    """A relation type outside the closed list."""


class InvalidCode(ModelError):
    """A malformed official code (INSEE, SIREN, SIRET, RNA)."""


class ResolutionError(MaillageError, LookupError):
    """An actor reference (id, name or alias) cannot be resolved."""

    def __init__(self, reference: str, message: str):
        super().__init__(message)
        self.reference = reference


class UnknownReference(ResolutionError):
    """No actor has this id, name or alias."""

    def __init__(self, reference: str):
        super().__init__(reference, f"no actor matches {reference!r} (by id, name or alias)")


class AmbiguousReference(ResolutionError):
    """Several actors match a reference; ``candidates`` lists their ids."""

    def __init__(self, reference: str, candidates: list[tuple[str, str]]):
        self.candidates = candidates
        listed = ", ".join(f"{node_id} ({name})" for node_id, name in candidates)
        super().__init__(reference, f"{reference!r} is ambiguous: it matches {listed}; use an id")


class NoPath(MaillageError, LookupError):
    """No path joins ``source`` to ``target`` in the graph analysed."""

    def __init__(self, source: str, target: str):
        self.source = source
        self.target = target
        super().__init__(f"no path between {source} and {target}")


class LoadError(MaillageError):
    """A source was rejected; ``problems`` lists every problem found."""

    def __init__(self, problems, message: str | None = None):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(message or f"{count} problem{'s' if count != 1 else ''} found; nothing was written")


class StoreError(MaillageError):
    """The store cannot do what was asked."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


class AuthenticationFailed(StoreError):
    """The store refused the credentials."""


class ConcurrentChange(StoreError):
    """Someone changed a source between the moment it was read and the moment it was
    to be rewritten (a merge, an unmerge); nothing was written. ``sources`` names them."""

    def __init__(self, sources: list[str]):
        self.sources = list(sources)
        listed = ", ".join(repr(name) for name in self.sources)
        super().__init__(
            f"{listed} changed while this command ran (another load or merge); nothing was written: run it again"
        )


class UsageError(MaillageError):
    """The request itself is wrong: a bad option, a missing argument."""

    exit_code = 2
