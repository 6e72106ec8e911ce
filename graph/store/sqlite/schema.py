"""The SQLite store's schema, its version and the migrations from older ones."""

from __future__ import annotations

import sqlite3

from ...errors import StoreUnavailable

__all__ = ["SCHEMA_VERSION", "SchemaMixin"]

#: The columns of the temporary tables of relation keys: start, type, end ("goal"), role.
_KEY_COLUMNS = ("s", "t", "g", "r")

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    format TEXT NOT NULL,
    contributor TEXT NOT NULL,
    at TEXT NOT NULL,
    authoritative INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS node_claims (
    node_id TEXT NOT NULL,
    source TEXT NOT NULL REFERENCES sources(name),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    attrs TEXT NOT NULL,
    place TEXT NOT NULL,
    PRIMARY KEY (node_id, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_claims_by_source ON node_claims(source);
CREATE TABLE IF NOT EXISTS relation_claims (
    rel_source TEXT NOT NULL,
    type TEXT NOT NULL,
    rel_target TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT NOT NULL REFERENCES sources(name),
    attrs TEXT NOT NULL,
    place TEXT NOT NULL,
    PRIMARY KEY (rel_source, type, rel_target, role, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relation_claims_by_source ON relation_claims(source);
CREATE INDEX IF NOT EXISTS relation_claims_by_target ON relation_claims(rel_target);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    attrs TEXT NOT NULL,
    sole TEXT,
    place TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes(kind);
CREATE INDEX IF NOT EXISTS nodes_by_sole ON nodes(sole) WHERE sole IS NOT NULL;
CREATE TABLE IF NOT EXISTS names (
    key TEXT NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (key, node_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relations (
    source TEXT NOT NULL,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    role TEXT NOT NULL,
    attrs TEXT NOT NULL,
    sole TEXT,
    place TEXT,
    PRIMARY KEY (source, type, target, role)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relations_by_target ON relations(target);
CREATE INDEX IF NOT EXISTS relations_by_sole ON relations(sole) WHERE sole IS NOT NULL;
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (collection, key)
);
"""


#: Secondary indexes a large streamed write drops and builds again once its rows are in
#: (sorting once is cheaper than keeping them up to date row by row): those its
#: flushes never read, in two groups, those its last steps read first, the others last.
_DEFERRABLE_INDEXES = (
    (
        "CREATE INDEX IF NOT EXISTS node_claims_by_source ON node_claims(source)",
        "CREATE INDEX IF NOT EXISTS relation_claims_by_source ON relation_claims(source)",
        "CREATE INDEX IF NOT EXISTS relation_claims_by_target ON relation_claims(rel_target)",
        "CREATE INDEX IF NOT EXISTS relations_by_target ON relations(target)",
    ),
    (
        "CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes(kind)",
        "CREATE INDEX IF NOT EXISTS nodes_by_sole ON nodes(sole) WHERE sole IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS relations_by_sole ON relations(sole) WHERE sole IS NOT NULL",
    ),
)

#: The keys of every relation claimed or derived with an end in the temporary id table ``{ids}``.
_RELATIONS_OF = (
    "SELECT rel_source, type, rel_target, role FROM relation_claims c JOIN {ids} t ON t.id = c.rel_source "
    "UNION SELECT rel_source, type, rel_target, role FROM relation_claims c JOIN {ids} t ON t.id = c.rel_target "
    "UNION SELECT source, type, target, role FROM relations r JOIN {ids} t ON t.id = r.source "
    "UNION SELECT source, type, target, role FROM relations r JOIN {ids} t ON t.id = r.target"
)

#: Every node claim of the source ``?1``, as ``(node_id, kind, name, aliases, attrs, place)``:
#: those in ``node_claims`` and those rows carry.
_SOURCE_NODE_CLAIMS = (
    "SELECT node_id, kind, name, aliases, attrs, place FROM node_claims WHERE source = ?1 "
    "UNION ALL SELECT id, kind, name, aliases, attrs, place FROM nodes WHERE sole = ?1"
)
#: Every relation claim of the source ``?1``, as ``(source, type, target, role, attrs, place)``.
_SOURCE_RELATION_CLAIMS = (
    "SELECT rel_source, type, rel_target, role, attrs, place FROM relation_claims WHERE source = ?1 "
    "UNION ALL SELECT source, type, target, role, attrs, place FROM relations WHERE sole = ?1"
)

#: Schema 2 to 3: rows gain ``sole`` and ``place``, and every claim that is its row
#: (the only claim of a node, or of a relation with both ends) moves into it.
_TO_SCHEMA_3 = """
ALTER TABLE nodes ADD COLUMN sole TEXT;
ALTER TABLE nodes ADD COLUMN place TEXT;
ALTER TABLE relations ADD COLUMN sole TEXT;
ALTER TABLE relations ADD COLUMN place TEXT;
UPDATE nodes SET (sole, place) = (SELECT c.source, c.place FROM node_claims c WHERE c.node_id = nodes.id)
WHERE (SELECT count(*) FROM node_claims c WHERE c.node_id = nodes.id) = 1
AND EXISTS (SELECT 1 FROM node_claims c WHERE c.node_id = nodes.id AND c.kind = nodes.kind AND c.name = nodes.name
            AND c.aliases = nodes.aliases AND c.attrs = nodes.attrs);
DELETE FROM node_claims WHERE (node_id, source) IN (SELECT id, sole FROM nodes WHERE sole IS NOT NULL);
UPDATE relations SET (sole, place) = (
    SELECT c.source, c.place FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
    AND c.rel_target = relations.target AND c.role = relations.role)
WHERE (SELECT count(*) FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
       AND c.rel_target = relations.target AND c.role = relations.role) = 1
AND EXISTS (SELECT 1 FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
            AND c.rel_target = relations.target AND c.role = relations.role AND c.attrs = relations.attrs);
DELETE FROM relation_claims WHERE (rel_source, type, rel_target, role, source) IN
    (SELECT source, type, target, role, sole FROM relations WHERE sole IS NOT NULL);
"""


class SchemaMixin:
    """Create the schema of a new store and bring an older one to this version."""

    def init(self) -> None:
        try:
            version = self._stored_version()
            if version is not None and version < SCHEMA_VERSION:
                self._upgrade(version)
            if version is None or version <= SCHEMA_VERSION:
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
                version = SCHEMA_VERSION
        except (sqlite3.DatabaseError, ValueError) as error:
            raise StoreUnavailable(f"{self.location} is not a maillage store: {error}") from None
        if version != SCHEMA_VERSION:
            self._db.close()
            raise StoreUnavailable(
                f"{self.location} is a maillage store of schema version {version}, newer than this maillage "
                f"reads ({SCHEMA_VERSION}): upgrade maillage"
            )

    def _stored_version(self) -> int | None:
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            return None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _upgrade(self, version: int) -> None:
        """Bring a store of an older schema to this one, in one transaction."""
        steps = []
        if version < 2:
            # An index no query reads: a node's names are found from the node's own.
            steps.append("DROP INDEX IF EXISTS names_by_node;")
        if version < 3:
            steps.append(_TO_SCHEMA_3)
        try:
            self._db.executescript(
                "BEGIN IMMEDIATE;"
                + "".join(steps)
                + f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'; COMMIT;"
            )
        except sqlite3.DatabaseError:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
