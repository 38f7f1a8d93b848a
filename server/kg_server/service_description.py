"""The SPARQL 1.1 Service Description of the endpoint (https://www.w3.org/TR/sparql11-service-description/).

``GET /sparql`` without a query answers with it. It says where the endpoint
is (``sd:endpoint``, the URL the client asked for), which languages it speaks
(``sd:SPARQL11Query``, and ``sd:SPARQL11Update`` only when updates are
enabled), which result formats it writes (the W3C format IRIs), its features
(``sd:UnionDefaultGraph``: a query that names no graph reads the union of all
source graphs; ``sd:BasicFederatedQuery`` only when an allow-list lets SERVICE
reach somewhere) and its default dataset: the default graph and the named
graphs (at most a bounded number of them), linked to the VoID description at
``/.well-known/void``.

The description is plain pyoxigraph triples; the endpoint serializes and caches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib import Namespace

from kg import formats
from kg.rdf.namespace import RDF, RDFS, SD, VOID

#: W3C's unique IRIs for file formats (https://www.w3.org/ns/formats/).
FORMATS = Namespace("http://www.w3.org/ns/formats/")
#: The entailment regime: none beyond simple entailment.
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

#: Format keys of :mod:`kg.formats` -> W3C format IRI.
FORMAT_IRIS: dict[str, str] = {f.key: f.iri for f in formats.FORMATS if f.iri is not None}

#: Prefixes for the Turtle and TriG forms of the description.
PREFIXES: dict[str, str] = {
    "sd": str(SD),
    "void": str(VOID),
    "rdfs": str(RDFS),
    "formats": str(FORMATS),
    "ent": str(ENTAILMENT),
}


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(str(value))


def describe(
    *,
    endpoint: str,
    void: str,
    updates: bool,
    federated: bool,
    result_formats: Iterable[str],
    named_graphs: Sequence[str],
    graphs_truncated: bool = False,
) -> list[ox.Triple]:
    """The service description as triples.

    ``endpoint`` is the URL the client used; ``void`` the URL of the VoID
    description; ``result_formats`` format keys (see :data:`FORMAT_IRIS`,
    unknown keys are skipped); ``named_graphs`` the graph IRIs to list, and
    ``graphs_truncated`` whether there are more than those.

    >>> triples = describe(endpoint="http://h/sparql", void="http://h/.well-known/void", updates=False,
    ...                    federated=False, result_formats=["json"], named_graphs=["http://h/g"])
    >>> any(t.predicate.value.endswith("#endpoint") for t in triples)
    True
    """
    a = _iri(RDF.type)
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, a, _iri(SD.Service)),
        ox.Triple(service, _iri(SD.endpoint), ox.NamedNode(endpoint)),
        ox.Triple(service, _iri(SD.supportedLanguage), _iri(SD.SPARQL11Query)),
        ox.Triple(service, _iri(SD.feature), _iri(SD.UnionDefaultGraph)),
        ox.Triple(service, _iri(SD.defaultEntailmentRegime), _iri(ENTAILMENT.Simple)),
        ox.Triple(_iri(ENTAILMENT.Simple), a, _iri(SD.EntailmentRegime)),
        ox.Triple(service, _iri(SD.defaultDataset), dataset),
        ox.Triple(dataset, a, _iri(SD.Dataset)),
        ox.Triple(dataset, a, _iri(VOID.Dataset)),
        ox.Triple(dataset, _iri(RDFS.seeAlso), ox.NamedNode(void)),
        ox.Triple(dataset, _iri(VOID.sparqlEndpoint), ox.NamedNode(endpoint)),
        ox.Triple(dataset, _iri(SD.defaultGraph), default_graph),
        ox.Triple(default_graph, a, _iri(SD.Graph)),
        ox.Triple(
            default_graph,
            _iri(RDFS.comment),
            ox.Literal("The set union of all source graphs (each profile page's statements)."),
        ),
    ]
    if updates:
        triples.append(ox.Triple(service, _iri(SD.supportedLanguage), _iri(SD.SPARQL11Update)))
    if federated:
        triples.append(ox.Triple(service, _iri(SD.feature), _iri(SD.BasicFederatedQuery)))
    for key in result_formats:
        if key in FORMAT_IRIS:
            triples.append(
                ox.Triple(service, _iri(SD.resultFormat), ox.NamedNode(FORMAT_IRIS[key]))
            )
    for index, graph in enumerate(named_graphs):
        node = ox.BlankNode(f"namedGraph{index}")
        described = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _iri(SD.namedGraph), node),
            ox.Triple(node, a, _iri(SD.NamedGraph)),
            ox.Triple(node, _iri(SD.name), ox.NamedNode(graph)),
            ox.Triple(node, _iri(SD.graph), described),
            ox.Triple(described, a, _iri(SD.Graph)),
        ]
    if graphs_truncated:
        triples.append(
            ox.Triple(
                dataset,
                _iri(RDFS.comment),
                ox.Literal(
                    f"Only the first {len(named_graphs)} named graphs are listed; "
                    "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } lists them all."
                ),
            )
        )
    return triples
