"""Analyses: plain functions over a networkx graph, one topic per module.

``convert`` builds the graph an analysis runs on (and says which), ``projection``
the actor–actor graph, ``centrality``, ``brokerage``, ``communities``,
``recommend``, ``gaps`` and ``paths`` answer the strategist's questions, and
``engine`` hands large graphs to igraph (and Louvain to networkit).
"""

from .brokerage import bridging, brokerage_roles, brokers_report, groups_of, structural_holes, territories
from .centrality import (
    METRICS,
    BetweennessEstimate,
    betweenness,
    centrality_report,
    centrality_table,
    closeness,
    degree,
    eigenvector,
    estimate_betweenness,
    estimate_closeness,
    harmonic,
    pagerank,
    weighted_degree,
)
from .communities import communities_report, describe, detect, modularity
from .convert import (
    GRAPHS,
    INCLUDABLE,
    ArrayGraph,
    Scope,
    analysis_arrays,
    analysis_graph,
    display_name,
    scope_of,
    simple_graph,
)
from .engine import ENGINES, choose_engine
from .gaps import gaps_report
from .paths import ego_network, relations_between, shortest_paths
from .projection import DEFAULT_WEIGHTS, actor_projection
from .recommend import recommend

__all__ = [
    "DEFAULT_WEIGHTS",
    "ENGINES",
    "GRAPHS",
    "INCLUDABLE",
    "METRICS",
    "ArrayGraph",
    "BetweennessEstimate",
    "Scope",
    "actor_projection",
    "analysis_arrays",
    "analysis_graph",
    "betweenness",
    "bridging",
    "brokerage_roles",
    "brokers_report",
    "centrality_report",
    "centrality_table",
    "choose_engine",
    "closeness",
    "communities_report",
    "degree",
    "describe",
    "detect",
    "display_name",
    "ego_network",
    "eigenvector",
    "estimate_betweenness",
    "estimate_closeness",
    "gaps_report",
    "groups_of",
    "harmonic",
    "modularity",
    "pagerank",
    "recommend",
    "relations_between",
    "scope_of",
    "shortest_paths",
    "simple_graph",
    "structural_holes",
    "territories",
    "weighted_degree",
]
