"""What the ``maillage`` commands do, as Python functions.

Each takes a store (or a location) and options and returns its result: dataclasses, dicts,
lists, text. None prints; long work tells a :class:`Progress`; failures are the exceptions
of :mod:`maillage.graph.errors`, each with its ``exit_code``.
"""

from __future__ import annotations

from .actors import ActorDetails, actor_rows, actor_text, describe_actor, kind_names, resolve
from .collaboration import (
    actor_history,
    changes,
    conflict_rows,
    duplicate_rows,
    merge,
    snapshot,
    snapshot_rows,
    source_rows,
    unmerge,
)
from .documents import Extracted, extract, extract_format, store_exists
from .loading import Loaded, RejectedWritten, Unloaded, insee_codes, load, register_options, unload
from .maps import MapDrawn, draw_map
from .output import (
    bulk_messages,
    cite,
    copy_messages,
    diff_text,
    extract_messages,
    json_text,
    load_messages,
    map_messages,
    merge_messages,
    render,
    report_text,
    snapshot_messages,
    source_copied_messages,
    unload_messages,
    unmerge_messages,
    write_text,
)
from .paths import Paths, ego, paths
from .progress import Progress
from .reports import Report, brokers, centrality, communities, full_report, gaps, read_graph, recommendations
from .session import default_contributor, store_options
from .transfer import Copied, CopyReport, copy, export, pull, push, push_bulk

__all__ = [
    "ActorDetails",
    "Copied",
    "CopyReport",
    "Extracted",
    "Loaded",
    "MapDrawn",
    "Paths",
    "Progress",
    "RejectedWritten",
    "Report",
    "Unloaded",
    "actor_history",
    "actor_rows",
    "actor_text",
    "brokers",
    "bulk_messages",
    "centrality",
    "changes",
    "cite",
    "communities",
    "conflict_rows",
    "copy",
    "copy_messages",
    "default_contributor",
    "describe_actor",
    "diff_text",
    "draw_map",
    "duplicate_rows",
    "ego",
    "export",
    "extract",
    "extract_format",
    "extract_messages",
    "full_report",
    "gaps",
    "insee_codes",
    "json_text",
    "kind_names",
    "load",
    "load_messages",
    "map_messages",
    "merge",
    "merge_messages",
    "paths",
    "pull",
    "push",
    "push_bulk",
    "read_graph",
    "recommendations",
    "register_options",
    "render",
    "report_text",
    "resolve",
    "snapshot",
    "snapshot_messages",
    "snapshot_rows",
    "source_copied_messages",
    "source_rows",
    "store_exists",
    "store_options",
    "unload",
    "unload_messages",
    "unmerge",
    "unmerge_messages",
    "write_text",
]
