"""The project ontology and its SHACL shapes, as graphs, a term list and documentation.

The vocabulary lives in ``ontology/kg.ttl`` and the data shapes in
``ontology/shapes.ttl`` at the root of the repository; this module finds them
through :func:`kg.resources.data_dir` (the checkout, or the copy the wheel ships).

Two kinds of term are listed: the project's own (``kg:``), each with a label
and a comment, and the standard terms the mapping reuses (schema.org, FOAF,
Dublin Core terms, BIBO, PROV-O, SKOS, RDFS), each with the
``vann:usageNote`` that says how this project uses it.

``ontology/TERMS.md`` is :func:`markdown_table` written out; regenerate it with
``python -m kg.rdf.ontology`` after changing ``kg.ttl`` (a test compares the two).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import KGError
from kg.rdf.namespace import KG, KG_NAMESPACE, OWL, PREFIXES, RDF, RDFS
from kg.resources import data_dir

#: Folder of the ontology files: ``ontology/`` at the repository root.
ONTOLOGY_DIR = data_dir("ontology")
ONTOLOGY_FILE = ONTOLOGY_DIR / "kg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
TERMS_FILE = ONTOLOGY_DIR / "TERMS.md"

#: The IRI of the ontology resource (the namespace without its ``#``).
ONTOLOGY_IRI = KG_NAMESPACE.rstrip("#")

VANN_USAGE_NOTE = URIRef("http://purl.org/vocab/vann/usageNote")
_DCTERMS = "http://purl.org/dc/terms/"

#: Declared OWL type -> the kind shown in the documentation, in display order.
KINDS: dict[URIRef, str] = {
    URIRef(OWL.Class): "class",
    URIRef(OWL.ObjectProperty): "object property",
    URIRef(OWL.DatatypeProperty): "datatype property",
    URIRef(OWL.AnnotationProperty): "annotation property",
}
_KIND_ORDER = list(KINDS.values())

#: OWL property characteristics worth showing, by declared type.
CHARACTERISTICS: dict[URIRef, str] = {
    URIRef(OWL.FunctionalProperty): "functional",
    URIRef(OWL.InverseFunctionalProperty): "inverse functional",
    URIRef(OWL.SymmetricProperty): "symmetric",
    URIRef(OWL.IrreflexiveProperty): "irreflexive",
    URIRef(OWL.TransitiveProperty): "transitive",
}

#: Prefixes for CURIEs, longest namespace first so that the best match wins.
_CURIE_PREFIXES = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


@dataclass(frozen=True, slots=True)
class Term:
    """One documented term of the ontology.

    For a project term (``project`` true) ``label`` and ``comment`` are its
    English ``rdfs:label`` and ``rdfs:comment``. For a reused standard term
    ``label`` is None and ``comment`` is this project's ``vann:usageNote``;
    ``domain``, ``range`` and ``parents`` stay empty (they belong to the
    term's owner). ``domain``, ``range`` and ``parents`` (superclasses of a
    class, superproperties of a property) are CURIEs.
    """

    iri: str
    curie: str
    kind: str
    label: str | None
    comment: str | None
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    characteristics: tuple[str, ...] = ()
    project: bool = True

    @property
    def anchor(self) -> str:
        """The HTML anchor of the term: the local name for ``kg:`` terms, so that
        the namespace IRI ``…/ontology#hIndex`` lands on it; ``x-`` + CURIE else."""
        if self.project:
            return self.iri[len(KG_NAMESPACE) :]
        return "x-" + self.curie.replace(":", "-")


def curie(iri: str) -> str:
    """``"https://schema.org/name"`` -> ``"schema:name"``; ``<iri>`` when no prefix fits."""
    for prefix, namespace in _CURIE_PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _parse(path: Path) -> Graph:
    if not path.is_file():
        raise KGError(
            f"ontology file not found: {path} (the ontology/ folder must sit beside the kg package)"
        )
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph


@cache
def _ontology() -> Graph:
    return _parse(ONTOLOGY_FILE)


@cache
def _shapes() -> Graph:
    return _parse(SHAPES_FILE)


def _copy(graph: Graph) -> Graph:
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace)
    for triple in graph:
        out.add(triple)
    return out


def ontology_graph() -> Graph:
    """The ontology (``ontology/kg.ttl``) as a new rdflib graph the caller may change.

    Raises :class:`kg.errors.KGError` when the file is missing, and rdflib's
    parser errors when it is not valid Turtle.
    """
    return _copy(_ontology())


def shapes_graph() -> Graph:
    """The SHACL shapes (``ontology/shapes.ttl``) as a new rdflib graph.

    For pyshacl: ``pyshacl.validate(data, shacl_graph=shapes_graph(),
    ont_graph=ontology_graph(), inference="none")``. Raises as :func:`ontology_graph`.
    """
    return _copy(_shapes())


def _english(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """The English (or untagged) value of an annotation, English first."""
    fallback: str | None = None
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal):
            if value.language == "en":
                return str(value)
            if value.language is None and fallback is None:
                fallback = str(value)
    return fallback


def _curies(values: Iterable[Node]) -> tuple[str, ...]:
    return tuple(sorted(curie(str(v)) for v in values if isinstance(v, URIRef)))


def _kind(graph: Graph, subject: URIRef) -> str | None:
    kinds = [
        KINDS[t] for t in graph.objects(subject, RDF.type) if isinstance(t, URIRef) and t in KINDS
    ]
    return min(kinds, key=_KIND_ORDER.index) if kinds else None


def _project_order() -> dict[str, int]:
    """Positions of the KG terms as kg/namespace.py declares them (its grouping)."""
    names = [name for name in KG.__annotations__ if not name.startswith("_")]
    return {KG_NAMESPACE + name: index for index, name in enumerate(names)}


def _terms(graph: Graph) -> list[Term]:
    project: list[Term] = []
    reused: list[Term] = []
    subjects = {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}
    subjects |= {s for s in graph.subjects(VANN_USAGE_NOTE, None) if isinstance(s, URIRef)}
    for subject in subjects:
        iri = str(subject)
        kind = _kind(graph, subject)
        if iri.startswith(KG_NAMESPACE):
            if kind is None:
                continue
            is_class = kind == "class"
            project.append(
                Term(
                    iri=iri,
                    curie=curie(iri),
                    kind=kind,
                    label=_english(graph, subject, RDFS.label),
                    comment=_english(graph, subject, RDFS.comment),
                    domain=_curies(graph.objects(subject, RDFS.domain)),
                    range=_curies(graph.objects(subject, RDFS.range)),
                    parents=_curies(
                        graph.objects(subject, RDFS.subClassOf if is_class else RDFS.subPropertyOf)
                    ),
                    characteristics=tuple(
                        name
                        for t, name in CHARACTERISTICS.items()
                        if (subject, RDF.type, t) in graph
                    ),
                )
            )
        elif (subject, VANN_USAGE_NOTE, None) in graph:
            reused.append(
                Term(
                    iri=iri,
                    curie=curie(iri),
                    kind=kind or "property",
                    label=None,
                    comment=_english(graph, subject, VANN_USAGE_NOTE),
                    project=False,
                )
            )
    order = _project_order()
    project.sort(key=lambda t: (t.kind != "class", order.get(t.iri, len(order)), t.iri))
    reused.sort(key=lambda t: (t.kind != "class", t.curie))
    return project + reused


def terms() -> list[Term]:
    """Every documented term: the project's classes, then its properties (in the
    order of :class:`kg.rdf.namespace.KG`), then the reused classes and properties
    (alphabetical).

    >>> next(t for t in terms() if t.curie == "kg:hIndex").range
    ('xsd:integer',)
    """
    return _terms(_ontology())


def _header(graph: Graph) -> dict[str, str]:
    subject = URIRef(ONTOLOGY_IRI)
    fields = {
        "title": URIRef(_DCTERMS + "title"),
        "description": URIRef(_DCTERMS + "description"),
        "license": URIRef(_DCTERMS + "license"),
        "created": URIRef(_DCTERMS + "created"),
        "version": URIRef(OWL.versionInfo),
    }
    out: dict[str, str] = {}
    for key, predicate in fields.items():
        value = graph.value(subject, predicate)
        if value is not None:
            out[key] = str(value)
    return out


# --- Markdown ---------------------------------------------------------------


def _md(text: str | None) -> str:
    """Text for one Markdown table cell: one line, pipes and tags escaped."""
    if not text:
        return ""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _md_code(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def markdown_table() -> str:
    """A Markdown page with two tables, the project's terms and the reused ones.

    This is the text of ``ontology/TERMS.md`` (kept equal by a test).
    """
    info = _header(_ontology())
    all_terms = terms()
    lines = [
        "<!-- Generated from ontology/kg.ttl by `python -m kg.rdf.ontology`; do not edit. -->",
        "",
        f"# {info.get('title', 'Ontology')} — terms",
        "",
        f"Namespace `{KG_NAMESPACE}` (prefix `kg:`), version {info.get('version', '?')}.",
        "",
        "## Project terms",
        "",
        "| Term | Kind | Label | Domain | Range | Subclass / subproperty of | Description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for term in all_terms:
        if term.project:
            kind = term.kind + (
                f" ({', '.join(term.characteristics)})" if term.characteristics else ""
            )
            lines.append(
                f"| `{term.curie}` | {kind} | {_md(term.label)} | {_md_code(term.domain)} "
                f"| {_md_code(term.range)} | {_md_code(term.parents)} | {_md(term.comment)} |"
            )
    lines += [
        "",
        "## Reused terms",
        "",
        "Standard terms the mapping writes, with how this project uses them "
        "(their `vann:usageNote` in `kg.ttl`).",
        "",
        "| Term | Kind | How this project uses it |",
        "| --- | --- | --- |",
    ]
    for term in all_terms:
        if not term.project:
            lines.append(f"| `{term.curie}` | {term.kind} | {_md(term.comment)} |")
    return "\n".join(lines) + "\n"


def write_markdown(path: Path = TERMS_FILE) -> Path:
    """Write :func:`markdown_table` to ``path`` (``ontology/TERMS.md`` by default)."""
    path.write_text(markdown_table(), encoding="utf-8")
    return path


# --- HTML -------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
h1 { margin-bottom: 0.2rem; }
code { font-size: 0.95em; }
.meta { color: #555; }
section.term { border-top: 1px solid #ddd; padding: 0.5rem 0; }
section.term:target { background: #fff8dc; }
section.term h3 { margin: 0.3rem 0; font-family: monospace; font-size: 1.1rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; margin: 0.3rem 0; }
dt { font-weight: bold; }
dd { margin: 0; }
nav ul { columns: 3; list-style: none; padding: 0; }
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _link(value: str, anchors: dict[str, str]) -> str:
    """A CURIE as a link: to its section if documented here, else to its IRI."""
    if value in anchors:
        return f'<a href="#{_esc(anchors[value])}"><code>{_esc(value)}</code></a>'
    iri = _expand(value)
    if iri:
        return f'<a href="{_esc(iri)}"><code>{_esc(value)}</code></a>'
    return f"<code>{_esc(value)}</code>"


def _expand(value: str) -> str | None:
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, _, local = value.partition(":")
    namespace = PREFIXES.get(prefix)
    return namespace + local if namespace else None


def _term_html(term: Term, anchors: dict[str, str]) -> list[str]:
    out = [f'<section class="term" id="{_esc(term.anchor)}">']
    out.append(f"<h3>{_esc(term.curie)}</h3>")
    out.append("<dl>")
    out.append(f'<dt>IRI</dt><dd><a href="{_esc(term.iri)}"><code>{_esc(term.iri)}</code></a></dd>')
    kind = term.kind + (f" ({', '.join(term.characteristics)})" if term.characteristics else "")
    out.append(f"<dt>Kind</dt><dd>{_esc(kind)}</dd>")
    if term.label:
        out.append(f"<dt>Label</dt><dd>{_esc(term.label)}</dd>")
    for name, values in (
        ("Domain", term.domain),
        ("Range", term.range),
        ("Subclass of" if term.kind == "class" else "Subproperty of", term.parents),
    ):
        if values:
            out.append(f"<dt>{name}</dt><dd>{', '.join(_link(v, anchors) for v in values)}</dd>")
    out.append("</dl>")
    if term.comment:
        out.append(f"<p>{_esc(term.comment)}</p>")
    out.append("</section>")
    return out


def html_page() -> str:
    """A standalone HTML page documenting every term, for the ``/ontology`` URL.

    No external assets and no script. Each ``kg:`` term's section has its local
    name as ``id``, so ``https://w3id.org/scholarly-kg/ontology#hIndex`` lands on
    it; reused terms have ``x-{prefix}-{name}`` anchors. All text is escaped.
    """
    info = _header(_ontology())
    all_terms = terms()
    anchors = {t.curie: t.anchor for t in all_terms}
    groups = [
        ("classes", "Classes", [t for t in all_terms if t.project and t.kind == "class"]),
        ("properties", "Properties", [t for t in all_terms if t.project and t.kind != "class"]),
        (
            "reused",
            "Reused terms and how this project uses them",
            [t for t in all_terms if not t.project],
        ),
    ]
    title = info.get("title", "Ontology")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_esc(title)}</h1>",
        '<p class="meta">',
        f"Namespace <code>{_esc(KG_NAMESPACE)}</code> (prefix <code>kg:</code>)",
        f" · version {_esc(info.get('version', '?'))}",
    ]
    if "created" in info:
        out.append(f" · created {_esc(info['created'])}")
    if "license" in info:
        out.append(f' · license <a href="{_esc(info["license"])}">{_esc(info["license"])}</a>')
    out.append("</p>")
    if "description" in info:
        out.append(f"<p>{_esc(info['description'])}</p>")
    out.append("</header>")
    out.append("<nav><h2>Contents</h2>")
    for group_id, heading, members in groups:
        out.append(f'<h3><a href="#{group_id}">{_esc(heading)}</a></h3><ul>')
        out += [f'<li><a href="#{_esc(t.anchor)}">{_esc(t.curie)}</a></li>' for t in members]
        out.append("</ul>")
    out.append("</nav>")
    out.append("<main>")
    for group_id, heading, members in groups:
        out.append(f'<h2 id="{group_id}">{_esc(heading)}</h2>')
        for term in members:
            out += _term_html(term, anchors)
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(f"wrote {write_markdown()}")
