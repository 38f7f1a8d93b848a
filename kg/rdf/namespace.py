"""The one place where ontology terms are named.

Project terms live in :class:`KG`, an rdflib ``DefinedNamespace`` with
``_fail = True``: a misspelt term is an ``AttributeError`` at import time, not a
silently wrong IRI. ``tests/map/test_namespace.py`` checks that every term here
is declared, labelled and commented in ``ontology/kg.ttl`` and vice versa.

The vocabulary namespace is fixed (it must not change with a deployment's base
IRI: data from two deployments shares one vocabulary). The server answers for
it at ``/ontology``.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

KG_NAMESPACE = "https://w3id.org/scholarly-kg/ontology#"


class KG(DefinedNamespace):
    """Terms minted by this project, each documented in ontology/kg.ttl."""

    _NS = Namespace(KG_NAMESPACE)
    _fail = True

    # Classes
    ProfileSnapshot: URIRef  # a profile page's dated snapshot of its owner's metrics
    SourceDocument: URIRef  # a copied profile page; its statements form one named graph
    Authorship: URIRef  # one position in a paper's visible author list
    Venue: URIRef  # where papers appear (arXiv for these preprints)
    ParseFailure: URIRef  # a line of a source document that could not be read
    IdentityDecision: URIRef  # an entity-resolution decision with its evidence
    ArchivedSnapshot: URIRef  # a profile snapshot a later crawl replaced (history graphs)

    # Profile snapshot metrics and owner
    hIndex: URIRef
    paperCount: URIRef
    citationCount: URIRef
    noveltyPercent: URIRef
    aiScore: URIRef
    declaredPaperCount: URIRef
    listsPaper: URIRef
    ownerInferred: URIRef
    ownerConfidence: URIRef
    ownerEvidence: URIRef

    # Papers
    authorListTruncated: URIRef
    hasCode: URIRef
    dateText: URIRef
    yearInferred: URIRef
    hasRepository: URIRef

    # Authorship
    writtenName: URIRef

    # Repositories
    repositoryHost: URIRef
    repositoryOwner: URIRef

    # Subjects
    siteCode: URIRef

    # Sources and provenance
    sha256: URIRef
    parseFailure: URIRef
    sourceLine: URIRef
    reason: URIRef
    rawText: URIRef

    # Identity decisions (entity resolution)
    decisionKind: URIRef
    decisionMethod: URIRef
    decisionScore: URIRef
    decisionEvidence: URIRef
    decidedAuthor: URIRef
    decidedPaper: URIRef
    possiblySameAs: URIRef
    possiblyAmbiguous: URIRef
    ambiguityEvidence: URIRef
    inputDigest: URIRef
    unsettledSource: URIRef


SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
VANN = Namespace("http://purl.org/vocab/vann/")

#: Prefixes offered to SPARQL users (query page, service description, Turtle output).
PREFIXES: dict[str, str] = {
    "kg": KG_NAMESPACE,
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "dcterms": str(DCTERMS),
    "bibo": str(BIBO),
    "prov": str(PROV),
    "skos": str(SKOS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "void": str(VOID),
    "sd": str(SD),
    "vann": str(VANN),
}


def sparql_prologue() -> str:
    """PREFIX declarations for every namespace in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
