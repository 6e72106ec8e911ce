"""Analyses: plain functions over a networkx graph, one topic per module."""

from .centrality import METRICS, betweenness, centrality_table, closeness, degree, eigenvector, pagerank
from .convert import simple_graph

__all__ = [
    "METRICS",
    "betweenness",
    "centrality_table",
    "closeness",
    "degree",
    "eigenvector",
    "pagerank",
    "simple_graph",
]
