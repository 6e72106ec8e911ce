"""What both stores need: the JSON text they keep claim values in, the signal that a
streamed write changed nothing, the check that a claim keeps a node's kind, and the
collector paused while millions of rows pass."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import LoadError
from ..model import NodeRecord
from .base import Problem

__all__ = [
    "Unchanged",
    "check_kinds",
    "collector_paused",
    "encode_json",
    "json_dict",
    "json_list",
    "kind_conflict",
    "loads_dict",
    "loads_list",
]


class Unchanged(Exception):
    """Raised inside a streamed write whose content equals what the source asserted: roll back."""


# json.dumps builds an encoder per call; the streamed path encodes millions of values.
# JSONEncoder.encode still makes its C encoder anew per call: make it once, with the
# arguments ``iterencode`` passes it (less the check for circular values).
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
if json.encoder.c_make_encoder is None:
    encode_json = _ENCODER.encode
else:
    _C_ITERENCODE = json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def encode_json(value: Any) -> str:
        return "".join(_C_ITERENCODE(value, 0))


def loads_list(text: str) -> tuple:
    return tuple(json.loads(text)) if text != "[]" else ()


def loads_dict(text: str) -> dict[str, Any]:
    # Most claims of a register have no aliases and their relations no attributes.
    return json.loads(text) if text != "{}" else {}


def json_list(values: Sequence[str]) -> str:
    return encode_json(list(values)) if values else "[]"


def json_dict(values: Any) -> str:
    return encode_json(dict(values)) if values else "{}"


def kind_conflict(node_id: str, stored_kind: str, kind: str, place: str | None) -> Problem:
    """The problem of a claim that gives a node another kind than the store holds.

    >>> str(kind_conflict("CG93", "Collectivite", "Association", "actors.csv:2"))
    "actors.csv:2: column 'kind': CG93 is a Collectivite in the store, not a Association"
    """
    return Problem(place, None, "kind", f"{node_id} is a {stored_kind} in the store, not a {kind}")


def check_kinds(records: Iterable[NodeRecord], stored: Mapping[str, str]) -> None:
    """Raise :class:`LoadError` naming every record whose node the store holds with another
    kind; ``stored`` gives the stored kind by node id."""
    problems = [
        kind_conflict(record.node.id, stored[record.node.id], record.node.kind, record.place)
        for record in records
        if record.node.id in stored and stored[record.node.id] != record.node.kind
    ]
    if problems:
        raise LoadError(problems)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the garbage collector: millions of rows come and go as tuples, none in a
    reference cycle, and the collector, started again and again while they are made,
    would walk them all each time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
