"""kg/namespace.py, ontology/kg.ttl and ontology/shapes.ttl cannot drift apart.

* every term of :class:`kg.rdf.namespace.KG` is declared in kg.ttl with an English
  label and comment, and kg.ttl declares no kg: term that KG lacks;
* every kg: IRI used by the shapes exists in KG, with the kind, domain and
  range the ontology gives it;
* every reused term the shapes constrain has a usage note, and the ontology
  says nothing but that (and its OWL declaration) about foreign terms;
* the generated documentation (TERMS.md, the HTML page) matches the ontology.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from kg.rdf import ontology
from kg.rdf.namespace import DCTERMS, KG, KG_NAMESPACE

VANN = "http://purl.org/vocab/vann/"
ONTOLOGY = URIRef(ontology.ONTOLOGY_IRI)
DECLARATIONS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}

KG_NAMES = [name for name in KG.__annotations__ if not name.startswith("_")]


@pytest.fixture(scope="module")
def onto() -> Graph:
    return ontology.ontology_graph()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return ontology.shapes_graph()


def _iris(graph: Graph) -> set[URIRef]:
    """Every IRI in any position of a graph."""
    return {node for triple in graph for node in triple if isinstance(node, URIRef)}


def _english(graph: Graph, subject: Node, predicate: URIRef) -> list[str]:
    return [
        str(o)
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and o.language == "en" and str(o).strip()
    ]


# --- files and header ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(ontology.ONTOLOGY_FILE, id="kg.ttl"),
        pytest.param(ontology.SHAPES_FILE, id="shapes.ttl"),
    ],
)
def test_file_parses(path) -> None:
    graph = Graph().parse(path, format="turtle")
    assert len(graph) > 50


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        pytest.param(DCTERMS.title, None, id="title"),
        pytest.param(DCTERMS.description, None, id="description"),
        pytest.param(OWL.versionInfo, Literal("0.1.0"), id="versionInfo"),
        pytest.param(DCTERMS.license, None, id="license"),
        pytest.param(DCTERMS.created, None, id="created"),
        pytest.param(URIRef(VANN + "preferredNamespacePrefix"), Literal("kg"), id="prefix"),
        pytest.param(URIRef(VANN + "preferredNamespaceUri"), Literal(KG_NAMESPACE), id="namespace"),
    ],
)
def test_ontology_header(onto: Graph, predicate: URIRef, expected: Literal | None) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in onto
    values = list(onto.objects(ONTOLOGY, URIRef(predicate)))
    assert len(values) == 1, f"ontology header needs exactly one {predicate}"
    if expected is not None:
        assert values[0] == expected
    if predicate == DCTERMS.created:
        assert isinstance(values[0], Literal) and values[0].datatype == XSD.date
    if predicate == DCTERMS.license:
        assert isinstance(values[0], URIRef)


def test_ontology_iri_is_the_namespace_without_hash() -> None:
    assert ontology.ONTOLOGY_IRI + "#" == KG_NAMESPACE


# --- KG <-> kg.ttl ------------------------------------------------------------


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in KG_NAMES])
def test_kg_term_is_declared_labelled_and_commented(onto: Graph, name: str) -> None:
    term = URIRef(getattr(KG, name))
    kinds = set(onto.objects(term, RDF.type)) & DECLARATIONS
    assert len(kinds) == 1, (
        f"kg:{name} needs exactly one of owl:Class / owl:ObjectProperty / owl:DatatypeProperty"
    )
    kind = kinds.pop()
    assert name[0].isupper() == (kind == OWL.Class), (
        f"kg:{name}: classes are capitalised, properties not"
    )
    assert len(_english(onto, term, RDFS.label)) == 1, f"kg:{name} needs one English rdfs:label"
    comments = _english(onto, term, RDFS.comment)
    assert len(comments) == 1, f"kg:{name} needs one English rdfs:comment"
    assert len(comments[0]) >= 80, (
        f"kg:{name}: the comment should say what it means and why no standard term fits"
    )
    assert (term, RDFS.isDefinedBy, ONTOLOGY) in onto


def test_kg_ttl_has_no_term_missing_from_namespace(onto: Graph) -> None:
    known = {str(getattr(KG, name)) for name in KG_NAMES}
    used = {str(iri) for iri in _iris(onto) if str(iri).startswith(KG_NAMESPACE)}
    assert used - known == set(), "kg.ttl uses kg: terms that kg/namespace.py does not define"


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in KG_NAMES])
def test_domain_and_range_are_declared_classes_or_datatypes(onto: Graph, name: str) -> None:
    term = URIRef(getattr(KG, name))
    is_datatype_property = (term, RDF.type, OWL.DatatypeProperty) in onto
    for predicate in (RDFS.domain, RDFS.range):
        for value in onto.objects(term, predicate):
            assert isinstance(value, URIRef)
            if predicate == RDFS.range and is_datatype_property:
                assert str(value).startswith(str(XSD)), (
                    f"kg:{name}: a datatype property ranges over an XSD type"
                )
            else:
                assert (value, RDF.type, OWL.Class) in onto, (
                    f"kg:{name}: {value} is not declared as a class"
                )


# --- reused terms -------------------------------------------------------------


def _reused(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(URIRef(VANN + "usageNote"), None) if isinstance(s, URIRef)}


def test_reused_terms_are_annotated_not_redefined(onto: Graph) -> None:
    reused = _reused(onto)
    assert URIRef("https://schema.org/author") in reused
    for term in reused:
        assert not str(term).startswith(KG_NAMESPACE)
        for predicate in (
            RDFS.label,
            RDFS.comment,
            RDFS.domain,
            RDFS.range,
            RDFS.isDefinedBy,
            RDFS.subClassOf,
            RDFS.subPropertyOf,
        ):
            assert (term, predicate, None) not in onto, (
                f"kg.ttl must not say {predicate} of foreign term {term}"
            )
        assert _english(onto, term, URIRef(VANN + "usageNote")), (
            f"{term}: usage note must be English"
        )


def test_every_foreign_class_and_property_in_the_ontology_has_a_usage_note(onto: Graph) -> None:
    """Superclasses, superproperties, domains and ranges that are foreign terms are documented too."""
    reused = _reused(onto)
    referenced = {
        o
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain)
        for o in onto.objects(None, p)
        if isinstance(o, URIRef) and not str(o).startswith(KG_NAMESPACE)
    }
    referenced |= {
        o
        for o in onto.objects(None, RDFS.range)
        if isinstance(o, URIRef) and not str(o).startswith((KG_NAMESPACE, str(XSD)))
    }
    assert referenced - reused == set()


# --- shapes <-> ontology ------------------------------------------------------


def _property_shapes(shapes: Graph):
    """(target class, path, property shape) for every property shape of a node shape."""
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        target = shapes.value(node_shape, SH.targetClass)
        for prop in shapes.objects(node_shape, SH.property):
            yield target, shapes.value(prop, SH.path), prop


def test_every_node_shape_has_a_target_class_name_and_comment(shapes: Graph) -> None:
    node_shapes = list(shapes.subjects(RDF.type, SH.NodeShape))
    assert len(node_shapes) == 14
    for shape in node_shapes:
        assert len(list(shapes.objects(shape, SH.targetClass))) == 1, shape
        assert shapes.value(shape, SH.name) is not None, shape
        assert _english(shapes, shape, RDFS.comment), shape


def test_shapes_use_only_kg_terms_that_exist(shapes: Graph) -> None:
    known = {str(getattr(KG, name)) for name in KG_NAMES}
    used = {str(iri) for iri in _iris(shapes) if str(iri).startswith(KG_NAMESPACE)}
    assert used - known == set(), "shapes.ttl uses kg: terms that kg/namespace.py does not define"


def test_shape_targets_are_declared_classes(shapes: Graph, onto: Graph) -> None:
    for target in shapes.objects(None, SH.targetClass):
        assert (target, RDF.type, OWL.Class) in onto, (
            f"sh:targetClass {target} is not a class of kg.ttl"
        )


def _shape_path_params():
    graph = ontology.shapes_graph()
    seen = set()
    for target, path, _prop in _property_shapes(graph):
        if isinstance(path, BNode):
            path = graph.value(path, SH.inversePath)
        key = (target, path)
        if key not in seen:
            seen.add(key)
            yield pytest.param(
                target, path, id=f"{ontology.curie(str(target))}/{ontology.curie(str(path))}"
            )


@pytest.mark.parametrize(("target", "path"), list(_shape_path_params()))
def test_shape_path_is_documented(onto: Graph, target: URIRef, path: URIRef) -> None:
    """Each sh:path is a kg: property or a reused term with a usage note."""
    if str(path).startswith(KG_NAMESPACE):
        assert set(onto.objects(path, RDF.type)) & {OWL.ObjectProperty, OWL.DatatypeProperty}
    else:
        assert path in _reused(onto), (
            f"{path} is constrained by shapes.ttl but has no vann:usageNote in kg.ttl"
        )


def test_shapes_agree_with_kg_domains_and_ranges(shapes: Graph, onto: Graph) -> None:
    """A kg: property's shape sits on its domain class and checks its range."""
    problems = []
    for target, path, prop in _property_shapes(shapes):
        if not isinstance(path, URIRef) or not str(path).startswith(KG_NAMESPACE):
            continue
        name = ontology.curie(str(path))
        for domain in onto.objects(path, RDFS.domain):
            if domain != target:
                problems.append(f"{name}: shape on {target}, domain {domain}")
        for range_ in onto.objects(path, RDFS.range):
            if (path, RDF.type, OWL.DatatypeProperty) in onto:
                if shapes.value(prop, SH.datatype) != range_:
                    problems.append(
                        f"{name}: sh:datatype {shapes.value(prop, SH.datatype)}, range {range_}"
                    )
            elif shapes.value(prop, SH["class"]) != range_:
                problems.append(
                    f"{name}: sh:class {shapes.value(prop, SH['class'])}, range {range_}"
                )
    assert problems == []


# --- generated documentation --------------------------------------------------


def test_terms_cover_namespace_and_reused_terms() -> None:
    terms = ontology.terms()
    project = [t.curie for t in terms if t.project]
    assert project[: len(KG_NAMES)] == [f"kg:{n}" for n in KG_NAMES if n[0].isupper()] + [
        f"kg:{n}" for n in KG_NAMES if n[0].islower()
    ]
    by_curie = {t.curie: t for t in terms}
    assert by_curie["kg:Authorship"].parents == ("prov:Attribution",)
    assert by_curie["kg:hIndex"].domain == ("kg:ProfileSnapshot",)
    assert by_curie["kg:decisionScore"].range == ("xsd:decimal",)
    assert by_curie["schema:author"].project is False
    assert by_curie["schema:author"].comment


def test_terms_md_is_up_to_date() -> None:
    committed = ontology.TERMS_FILE.read_text(encoding="utf-8")
    assert committed == ontology.markdown_table(), (
        "ontology/TERMS.md is stale: run `python -m kg.rdf.ontology`"
    )


def test_markdown_table_rows_have_the_header_s_column_count() -> None:
    for line in ontology.markdown_table().splitlines():
        if line.startswith("| `"):
            cells = line.replace("\\|", "").count("|") - 1
            assert cells in (7, 3), line


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for key, value in attrs:
            if key == "id" and value:
                self.ids.append(value)
            if key == "src" or (tag == "link" and key == "href"):
                self.external.append(str(value))


def test_html_page_has_one_anchor_per_term_and_no_scripts() -> None:
    page = ontology.html_page()
    parser = _Ids()
    parser.feed(page)
    assert page.startswith("<!DOCTYPE html>")
    assert len(parser.ids) == len(set(parser.ids)), "duplicate HTML ids"
    for name in KG_NAMES:
        assert name in parser.ids, f"no #{name} anchor for kg:{name}"
    assert "x-schema-author" in parser.ids
    assert "script" not in parser.tags
    assert parser.external == []


def test_html_page_escapes_text(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = ontology.ontology_graph()
    term = URIRef(KG.hIndex)
    graph.remove((term, RDFS.comment, None))
    graph.add((term, RDFS.comment, Literal('<script>alert("x")</script> & more', lang="en")))
    monkeypatch.setattr(ontology, "_ontology", lambda: graph)
    page = ontology.html_page()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page
    table = ontology.markdown_table()
    assert "<script>" not in table and "&lt;script>" in table
