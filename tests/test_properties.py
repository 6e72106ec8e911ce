"""Random sequences of loads, unloads, merges and unmerges keep the store equal to a
simple in-memory model of sources and their claims, with no duplicate id and no
dangling relation."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from maillage.graph.errors import UsageError
from maillage.graph.merge import apply_redirects, merge, redirects, repoint_batch, unmerge
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store import open_store

IDS = [f"association:a{i}" for i in range(4)]
SOURCES = ["s0", "s1", "s2"]
TYPES = ["PARTNERS_WITH", "MEMBER_OF"]


def sorted_batch(batch: Batch) -> Batch:
    """A batch in the order a store dumps it: nodes by id, relations by key."""
    return Batch(
        batch.source,
        sorted(batch.nodes, key=lambda r: r.node.id),
        sorted(batch.relations, key=lambda r: r.relation.key),
    )


def content(batch: Batch) -> tuple:
    """What a batch asserts, order aside, authoritative flag included."""
    nodes = sorted(
        (r.node.id, r.node.kind, r.node.name, r.node.aliases, sorted(r.node.attrs.items()), r.place)
        for r in batch.nodes
    )
    relations = sorted((r.relation.key, sorted(r.relation.attrs.items()), r.place) for r in batch.relations)
    return (batch.source.authoritative, nodes, relations)


@dataclass
class Model:
    """Sources in load order with what each asserts, merges and redirects."""

    sources: dict[str, Batch] = field(default_factory=dict)
    merges: dict[str, dict] = field(default_factory=dict)
    redirect: dict[str, tuple[str, str]] = field(default_factory=dict)

    def precedence(self) -> list[Batch]:
        ordered = list(self.sources.values())
        return [b for b in ordered if not b.source.authoritative] + [b for b in ordered if b.source.authoritative]

    def nodes(self) -> dict[str, tuple[str, str, set, dict]]:
        """id -> (kind, name, aliases, attrs): the latest claim names it, attributes fold."""
        folded: dict[str, list] = {}
        for batch in self.precedence():
            for record in batch.nodes:
                folded.setdefault(record.node.id, []).append(record.node)
        out = {}
        for node_id, claims in folded.items():
            attrs: dict = {}
            labels: set = set()
            for node in claims:
                attrs.update(node.attrs)
                labels |= {node.name, *node.aliases}
            name = claims[-1].name
            out[node_id] = (claims[-1].kind, name, labels - {name}, attrs)
        return out

    def relations(self) -> set[tuple]:
        nodes = self.nodes()
        return {
            r.relation.key
            for batch in self.sources.values()
            for r in batch.relations
            if r.relation.source in nodes and r.relation.target in nodes
        }

    def resolved_redirects(self) -> dict[str, str]:
        out = {}
        for start in self.redirect:
            seen, current = {start}, self.redirect[start][0]
            while current in self.redirect and current not in seen:
                seen.add(current)
                current = self.redirect[current][0]
            out[start] = current
        return out

    def load(self, batch: Batch) -> bool:
        """Apply a load; True when it changes nothing."""
        table = self.resolved_redirects()
        ids = {r.node.id for r in batch.nodes} | {
            e for r in batch.relations for e in (r.relation.source, r.relation.target)
        }
        mapping = {i: table[i] for i in ids if i in table}
        if mapping:
            names = self.nodes()
            batch = repoint_batch(batch, mapping, {t: names[t][1] for t in mapping.values() if t in names})
        name = batch.source.name
        if name in self.sources and content(self.sources[name]) == content(batch):
            return True
        self.sources.pop(name, None)
        self.sources[name] = batch
        return False

    def unload(self, name: str) -> None:
        del self.sources[name]

    def merge(self, merge_id: str, into: str, other: str) -> None:
        names = self.nodes()
        record = {"into": into, "other": other, "sources": {}, "undone": False}
        for name, batch in self.sources.items():
            ends = {e for r in batch.relations for e in (r.relation.source, r.relation.target)}
            if other in {r.node.id for r in batch.nodes} | ends:
                original = sorted_batch(batch)
                rewritten = repoint_batch(original, {other: into}, {into: names[into][1]})
                record["sources"][name] = (original, rewritten)
                self.sources[name] = rewritten
        self.merges[merge_id] = record
        self.redirect[other] = (into, merge_id)

    def unmerge(self, merge_id: str) -> None:
        record = self.merges[merge_id]
        for name, (original, rewritten) in record["sources"].items():
            if name in self.sources and content(self.sources[name]) == content(rewritten):
                self.sources[name] = original
        if self.redirect.get(record["other"], (None, None))[1] == merge_id:
            del self.redirect[record["other"]]
        record["undone"] = True


def make_batch(
    source: str, chosen: list[int], variants: list[int], links: list[tuple[int, int, int]], authoritative: bool
) -> Batch:
    nodes = [
        NodeRecord(
            Node(
                IDS[i],
                "Association",
                ("Asso", "Association", "Assoc.")[variants[i]] + f" {i}",
                (),
                {"website": f"https://a{i}-v{variants[i]}.org"},
            ),
            f"{source}.csv:{i + 2}",
        )
        for i in sorted(set(chosen))
    ]
    present = set(chosen)
    keys = sorted({(IDS[a], TYPES[t], IDS[b]) for a, b, t in links if a in present and b in present and a != b})
    relations = [RelationRecord(Relation(s, t, g), f"{source}-relations.csv:{s[-1]}{g[-1]}{t[0]}") for s, t, g in keys]
    return Batch(Source(source, "workbook", "prop", "2026-01-01T00:00:00+00:00", authoritative), nodes, relations)


index = st.integers(min_value=0, max_value=len(IDS) - 1)
loads = st.tuples(
    st.sampled_from(SOURCES),
    st.lists(index, min_size=2, max_size=len(IDS)),
    st.lists(st.integers(0, 2), min_size=len(IDS), max_size=len(IDS)),
    st.lists(st.tuples(index, index, st.integers(0, len(TYPES) - 1)), max_size=6),
    st.sampled_from([False, False, False, True]),
)
steps = st.lists(
    st.sampled_from(["load", "load", "load", "unload", "merge", "merge", "unmerge", "unmerge"]), min_size=5, max_size=14
)


def check(store, model: Model) -> None:
    stored = store.nodes()
    ids = [n.id for n in stored]
    assert len(ids) == len(set(ids)), "duplicate ids"
    expected = model.nodes()
    assert {n.id: (n.kind, n.name, set(n.aliases), dict(n.attrs)) for n in stored} == expected
    keys = [r.key for r in store.relations()]
    assert len(keys) == len(set(keys)), "a relation twice"
    assert set(keys) == model.relations()
    assert all(source in expected and target in expected for source, _type, target, _role in keys), "dangling relation"
    assert all(source != target for source, _type, target, _role in keys), "a merge made a relation loop"
    assert [s.name for s in store.sources()] == list(model.sources)
    for name, batch in model.sources.items():
        assert content(store.dump_source(name)) == content(batch)
    assert redirects(store) == model.resolved_redirects()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.data())
def test_random_loads_merges_unmerges_and_unloads_match_the_model(kinds, data):
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "prop.db"))
        model = Model()
        merge_ids: list[str] = []
        try:
            for kind in ["load", *kinds]:
                present = sorted(model.nodes())
                if kind == "load":
                    source, chosen, variants, links, authoritative = data.draw(loads)
                    raw = make_batch(source, chosen, variants, links, authoritative)
                    unchanged = model.load(raw)
                    result = store.write(apply_redirects(store, raw))
                    assert result.unchanged == unchanged
                elif kind == "unload":
                    if not model.sources:
                        continue
                    name = data.draw(st.sampled_from(sorted(model.sources)))
                    store.unload(name)
                    model.unload(name)
                elif kind == "merge":
                    into, other = data.draw(st.tuples(st.sampled_from(IDS), st.sampled_from(IDS)))
                    if len(present) >= 2 and data.draw(st.integers(0, 9)) > 0:
                        into, other = data.draw(st.lists(st.sampled_from(present), min_size=2, max_size=2, unique=True))
                    if into not in present or other not in present or into == other:
                        event("merge refused")
                        with pytest.raises(UsageError):
                            merge(store, into, [other], "prop")
                        continue
                    result = merge(store, into, [other], "prop")
                    event("merged")
                    model.merge(result.id, into, other)
                    merge_ids.append(result.id)
                else:
                    if not merge_ids:
                        continue
                    active = [m for m in merge_ids if not model.merges[m]["undone"]]
                    merge_id = data.draw(
                        st.sampled_from(active if active and data.draw(st.integers(0, 4)) else merge_ids)
                    )
                    if model.merges[merge_id]["undone"]:
                        with pytest.raises(UsageError):
                            unmerge(store, merge_id, "prop")
                        continue
                    restored = unmerge(store, merge_id, "prop")
                    model.unmerge(merge_id)
                    event("unmerge left a changed source" if restored.skipped else "unmerge restored every source")
                check(store, model)
        finally:
            store.close()
