"""What both stores need: the JSON text they keep claim values in, and the signal that a
streamed write changed nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["Unchanged", "encode_json", "json_dict", "json_list", "loads_dict", "loads_list"]


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
