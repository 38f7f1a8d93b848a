"""Counts of what a store holds (``kg stats``, the VoID description): its main kinds of
resource, graphs, sources, distinct triples and quads, for the embedded store and an
external one alike."""

from __future__ import annotations

from kg.rdf.namespace import sparql_prologue
from kg.store.embedded import GraphStore

STATS_QUERY = (
    sparql_prologue()
    + """
SELECT
  (COUNT(DISTINCT ?profile) AS ?profiles) (COUNT(DISTINCT ?paper) AS ?papers)
  (COUNT(DISTINCT ?author) AS ?authors) (COUNT(DISTINCT ?repo) AS ?repositories)
  (COUNT(DISTINCT ?venue) AS ?venues) (COUNT(DISTINCT ?subject) AS ?subjects)
  (COUNT(DISTINCT ?org) AS ?organizations)
WHERE {
  { ?profile a kg:ProfileSnapshot } UNION { ?paper a schema:ScholarlyArticle }
  UNION { ?author a schema:Person } UNION { ?repo a schema:SoftwareSourceCode }
  UNION { ?venue a kg:Venue } UNION { ?subject a skos:Concept }
  UNION { ?org a schema:Organization }
}
"""
)


def store_stats(store: GraphStore) -> dict[str, int]:
    """Counts of the main kinds of resource, graphs, distinct triples and quads."""
    row = next(iter(store.query(STATS_QUERY)))
    names = ["profiles", "papers", "authors", "repositories", "venues", "subjects", "organizations"]
    stats = {name: int(row[name].value) for name in names}
    graphs = store.named_graphs()
    stats["graphs"] = len(graphs)
    stats["sources"] = sum(1 for _ in store.sources())
    triples = next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))
    stats["triples"] = int(triples["n"].value)
    stats["quads"] = store.count_quads()
    return stats
