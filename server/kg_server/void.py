"""VoID self-description at ``/.well-known/void`` (RFC 5785 / VoID section 7).

One ``void:Dataset``, ``{base}.well-known/void#dataset``, with:

* ``void:triples`` (distinct triples of the default graph, the union of all
  sources), ``void:entities`` (distinct IRIs under the base IRI used as
  subjects), ``void:classes``, ``void:properties``;
* a ``void:classPartition`` per class (``void:class``, ``void:entities``) and a
  ``void:propertyPartition`` per property (``void:property``, ``void:triples``);
* ``void:vocabulary`` for each vocabulary those classes and properties come from;
* a ``void:subset`` ``{base}.well-known/void#history``: the profile history (the
  snapshots later crawls replaced, one named graph each under ``{base}graph/_history/``,
  never in the default graph), with its quads and archived snapshots counted and the
  quad dumps (N-Quads, TriG) that include it;
* ``void:dataDump`` for each file of :data:`kg.store.dumps.DUMP_FORMATS`,
  ``void:sparqlEndpoint`` ``{base}sparql``, ``void:uriSpace`` the base IRI,
  ``dcterms:license`` (the ``license`` setting), ``dcterms:modified`` (when the store's
  checkpoint was published).

Turtle by default; JSON-LD, N-Triples, RDF/XML and an HTML table by ``Accept``
or extension (``/.well-known/void.ttl`` ...). Counting the whole graph is
expensive at scale, so the counts are computed once per store version (the
backend's ``version()``) and kept in memory; the service description of
``/sparql`` points here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from kg import formats
from kg.rdf.namespace import DCTERMS, FOAF, KG_NAMESPACE, PREFIXES, RDF, VOID, XSD
from kg.store.dumps import DUMP_FORMATS, generation_time
from kg.store.query import QueryRequest
from kg_server import linked_data as ld
from kg_server import negotiation, structured
from kg_server.context import kg_context

blueprint = Blueprint("void", __name__)

VOID_PATH = ".well-known/void"
DATASET_FRAGMENT = "dataset"
TITLE = "Scholarly knowledge graph"
DESCRIPTION = (
    "Researchers, papers, code repositories, subjects, venues and organizations read from "
    "researcher profile pages, each source file in its own named graph, with provenance."
)
#: Formats the dataset is offered in, by their IRIs (W3C's, or the IANA page of CSL-JSON's
#: registered media type): the dumps, the dereferenced IRIs and the citations of papers and
#: authors (kg.formats). BibTeX, RIS and formatted references have no such IRI: not listed.
FEATURES: tuple[str, ...] = tuple(
    dict.fromkeys(
        f.iri
        for f in formats.offers_all(
            formats.DUMP,
            formats.LINKED_DATA,
            formats.PAPER_CITATION,
            formats.AUTHOR_BIBLIOGRAPHY,
        )
        if f.iri is not None
    )
)

TRIPLES_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: ``?space`` (the base IRI as a literal) is bound by substitution, which pyoxigraph
#: allows for projected variables only: hence the GROUP BY.
ENTITIES_QUERY = (
    "SELECT ?space (COUNT(DISTINCT ?s) AS ?n) "
    "WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?space)) } GROUP BY ?space"
)
CLASSES_QUERY = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c"
PROPERTIES_QUERY = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"

#: The quads and archived snapshots of the history graphs (``?space``: their IRI prefix).
HISTORY_QUERY = (
    "SELECT ?space (COUNT(*) AS ?n) (COUNT(DISTINCT ?snapshot) AS ?snapshots) WHERE { "
    "GRAPH ?g { ?s ?p ?o } "
    "BIND(IF(?p = <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "&& ?o = <https://w3id.org/scholarly-kg/ontology#ArchivedSnapshot>, ?s, ?unbound) AS ?snapshot) "
    "FILTER(STRSTARTS(STR(?g), ?space)) } GROUP BY ?space"
)
HISTORY_FRAGMENT = "history"

HISTORY_DESCRIPTION = (
    "The profile snapshots that later crawls replaced (kg:ArchivedSnapshot), one named graph "
    "per page and crawl date under graph/_history/, with their metrics, listed papers and "
    "provenance. Not part of the default graph (queries that name no graph see the current "
    "state); included in the N-Quads and TriG dumps; void:triples counts their quads and "
    "void:entities the archived snapshots."
)
_CACHE_KEY = "kg_void"
_cache_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Statistics:
    """Whole-graph counts for one store version."""

    version: str
    triples: int
    entities: int
    classes: tuple[tuple[str, int], ...]
    properties: tuple[tuple[str, int], ...]
    #: Quads in the history graphs and archived snapshots (kg.pipeline.history).
    history_quads: int = 0
    history_snapshots: int = 0


def _count(outcome: Any) -> int:
    rows = outcome.rows
    return int(rows[0]["n"].value) if rows and rows[0].get("n") is not None else 0


def _pairs(outcome: Any, name: str) -> tuple[tuple[str, int], ...]:
    return tuple(
        (row[name].value, int(row["n"].value))
        for row in outcome.rows
        if isinstance(row.get(name), ox.NamedNode)
    )


def compute_statistics() -> Statistics:
    """Run the counting queries through the server's backend (raises its errors)."""
    context = kg_context()
    backend = context.backend
    version = backend.version()
    space = ox.Literal(context.scheme.base)
    triples = _count(backend.run(QueryRequest(TRIPLES_QUERY)))
    entities = _count(backend.run(QueryRequest(ENTITIES_QUERY, substitutions={"space": space})))
    classes = _pairs(backend.run(QueryRequest(CLASSES_QUERY)), "c")
    properties = _pairs(backend.run(QueryRequest(PROPERTIES_QUERY)), "p")
    prefix = ox.Literal(context.scheme.history_graphs())
    history = backend.run(QueryRequest(HISTORY_QUERY, substitutions={"space": prefix})).rows
    quads = int(history[0]["n"].value) if history else 0
    snapshots = int(history[0]["snapshots"].value) if history else 0
    return Statistics(version, triples, entities, classes, properties, quads, snapshots)


def statistics() -> Statistics:
    """The counts for the current store version, computed once per version and process."""
    version = kg_context().backend.version()
    with _cache_lock:
        cached: Statistics | None = current_app.extensions.get(_CACHE_KEY)
        if cached is not None and cached.version == version:
            return cached
        fresh = compute_statistics()
        current_app.extensions[_CACHE_KEY] = fresh
        return fresh


def vocabulary_of(iri: str) -> str:
    """The vocabulary a class or property IRI belongs to: a known namespace
    (the project's is named by its ontology IRI), else the IRI up to its last ``#`` or ``/``."""
    if iri.startswith(KG_NAMESPACE):
        return KG_NAMESPACE.rstrip("#")
    for namespace in sorted(PREFIXES.values(), key=len, reverse=True):
        if iri.startswith(namespace):
            return namespace
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def dataset_iri() -> str:
    return f"{kg_context().scheme.base}{VOID_PATH}#{DATASET_FRAGMENT}"


def _modified(version: str) -> datetime:
    return generation_time(version) or datetime.now(UTC)


def void_triples(stats: Statistics) -> list[ox.Triple]:
    """The VoID description as triples."""
    context = kg_context()
    base = context.scheme.base
    settings = context.settings
    document = ox.NamedNode(base + VOID_PATH)
    dataset = ox.NamedNode(dataset_iri())
    out: list[ox.Triple] = []

    def add(s: Any, p: Any, o: Any) -> None:
        out.append(ox.Triple(s, ox.NamedNode(str(p)), o))

    def integer(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(str(XSD.integer)))

    add(document, RDF.type, ox.NamedNode(str(VOID.DatasetDescription)))
    add(document, FOAF.primaryTopic, dataset)
    add(dataset, RDF.type, ox.NamedNode(str(VOID.Dataset)))
    add(dataset, DCTERMS.title, ox.Literal(TITLE, language="en"))
    add(dataset, DCTERMS.description, ox.Literal(DESCRIPTION, language="en"))
    if settings.license.startswith(("http://", "https://")):
        add(dataset, DCTERMS.license, ox.NamedNode(settings.license))
    else:
        add(dataset, DCTERMS.license, ox.Literal(settings.license))
    modified = _modified(stats.version).isoformat(timespec="seconds")
    add(dataset, DCTERMS.modified, ox.Literal(modified, datatype=ox.NamedNode(str(XSD.dateTime))))
    add(dataset, FOAF.homepage, ox.NamedNode(base))
    add(dataset, VOID.uriSpace, ox.Literal(base))
    add(dataset, VOID.sparqlEndpoint, ox.NamedNode(base + "sparql"))
    for fmt in DUMP_FORMATS:
        add(dataset, VOID.dataDump, ox.NamedNode(f"{base}dumps/{fmt.filename}"))
    for feature in FEATURES:
        add(dataset, VOID.feature, ox.NamedNode(feature))
    # The profile history: in the quad dumps and GRAPH queries, not in the default graph.
    subset = ox.NamedNode(f"{base}{VOID_PATH}#{HISTORY_FRAGMENT}")
    add(dataset, VOID.subset, subset)
    add(subset, RDF.type, ox.NamedNode(str(VOID.Dataset)))
    add(subset, DCTERMS.title, ox.Literal("Profile history", language="en"))
    add(subset, DCTERMS.description, ox.Literal(HISTORY_DESCRIPTION, language="en"))
    add(subset, VOID.uriSpace, ox.Literal(context.scheme.history_graphs()))
    add(subset, VOID.triples, integer(stats.history_quads))
    add(subset, VOID.entities, integer(stats.history_snapshots))
    for fmt in DUMP_FORMATS:
        if fmt.quads:
            add(subset, VOID.dataDump, ox.NamedNode(f"{base}dumps/{fmt.filename}"))
    add(dataset, VOID.triples, integer(stats.triples))
    add(dataset, VOID.entities, integer(stats.entities))
    add(dataset, VOID.classes, integer(len(stats.classes)))
    add(dataset, VOID.properties, integer(len(stats.properties)))
    vocabularies = sorted({vocabulary_of(i) for i, _ in (*stats.classes, *stats.properties)})
    for vocabulary in vocabularies:
        add(dataset, VOID.vocabulary, ox.NamedNode(vocabulary))
    for index, (cls, count) in enumerate(stats.classes, start=1):
        partition = ox.BlankNode(f"class{index}")
        add(dataset, VOID.classPartition, partition)
        add(partition, VOID["class"], ox.NamedNode(cls))
        add(partition, VOID.entities, integer(count))
    for index, (prop, count) in enumerate(stats.properties, start=1):
        partition = ox.BlankNode(f"property{index}")
        add(dataset, VOID.propertyPartition, partition)
        add(partition, VOID.property, ox.NamedNode(prop))
        add(partition, VOID.triples, integer(count))
    return out


def schema_dataset(modified: datetime | None = None) -> dict[str, Any]:
    """The dataset as a schema:Dataset (for dataset search engines), one DataDownload per
    dump file; embedded in the VoID and dumps pages."""
    context = kg_context()
    base = context.scheme.base
    return structured.dataset(
        iri=dataset_iri(),
        name=TITLE,
        description=DESCRIPTION,
        license=context.settings.license,
        url=base + "dumps",
        distributions=[
            (fmt.title, f"{base}dumps/{fmt.filename}", fmt.media_type) for fmt in DUMP_FORMATS
        ],
        date_modified=modified.isoformat(timespec="seconds") if modified else None,
        same_as=[base + VOID_PATH],
    )


def _html(stats: Statistics, triples: list[ox.Triple]) -> str:
    path = request.script_root + "/" + VOID_PATH
    iri = dataset_iri()
    labels = ld.labels_of(triples)
    own = [t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri]
    own = [
        t
        for t in own
        if t.predicate.value not in (str(VOID.classPartition), str(VOID.propertyPartition))
    ]
    types, rows = ld._rows(own, labels)

    def partition_rows(pairs: tuple[tuple[str, int], ...], unit: str) -> list[ld.PropertyRow]:
        return [
            ld.PropertyRow(
                ld.cell(ox.NamedNode(i), {}),
                [ld.Cell(f"{n:,} {unit}", kind="literal")],
            )
            for i, n in pairs
        ]

    sections = [
        ld.Section(iri, TITLE, None, None, types, rows),
        ld.Section(
            iri + "-classes",
            "Classes",
            "classes",
            None,
            [],
            partition_rows(stats.classes, "entities"),
            "Entities per class (void:classPartition)",
        ),
        ld.Section(
            iri + "-properties",
            "Properties",
            "properties",
            None,
            [],
            partition_rows(stats.properties, "triples"),
            "Triples per property (void:propertyPartition)",
        ),
    ]
    view = ld.ResourceView(
        iri=iri,
        title=f"{TITLE}: dataset description (VoID)",
        kind="dataset",
        sections=sections,
        incoming=[],
        alternates=[
            (f.key, f"{path}.{f.extension}", f.media_type) for f in ld.OFFERS if f.key != "html"
        ],
        related=[("Dumps", request.script_root + "/dumps")],
        document=False,
        triple_count=len(triples),
    )
    jsonld = schema_dataset(_modified(stats.version))
    return render_template("resource.html", view=view, jsonld=jsonld)


@blueprint.get("/" + VOID_PATH)
@blueprint.get("/" + VOID_PATH + "." + negotiation.extension_rule(formats.LINKED_DATA))
def void(extension: str | None = None) -> Response:
    """The VoID description of the dataset (Turtle unless asked otherwise)."""

    def triples() -> list[ox.Triple]:
        return void_triples(statistics())

    def html() -> str:
        stats = statistics()
        return _html(stats, void_triples(stats))

    return ld.rdf_or_html(
        path=request.script_root + "/" + VOID_PATH,
        extension=extension,
        etag_parts=(kg_context().settings.base_iri, kg_context().settings.license),
        triples=triples,
        html=html,
    )
