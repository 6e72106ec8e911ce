"""maillage: a collaborative knowledge graph of territorial actors.

Loaders build a graph of collectivités, associations and networks, themes and
projects; it lives in an embedded SQLite store or in Neo4j; NetworkX analyses
it; pyvis draws interactive HTML maps.
"""

__version__ = "0.1.0"
