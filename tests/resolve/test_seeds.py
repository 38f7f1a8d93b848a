"""Identity on the five seed profiles, through the real ingest (the session's seed store).

PROFILE_FORMAT.md sections 5-6 are the expectations: 104 papers of which 16 are
listed by two profiles, no spelling variants of one person (so no author merge),
three look-alike name pairs that are different people, two near-titled paper
pairs that are different papers, and "Xuyang Zhao" (000) mixing research lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.pipeline.identity import decision_report
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import PREFIXES
from kg.store.embedded import KGStore
from tests.conftest import TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
IDENTITY = SCHEME.identity_graph()


@pytest.fixture(scope="module")
def store(seed_store: Path) -> KGStore:
    return KGStore.open_readonly(seed_store)


def rows(store: KGStore, sparql: str) -> list[dict[str, Any]]:
    result = store.query(sparql, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def test_104_papers_16_listed_twice(store: KGStore) -> None:
    total = rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:ScholarlyArticle }")
    shared = rows(
        store,
        """SELECT (COUNT(*) AS ?n) { { SELECT ?p (COUNT(DISTINCT ?s) AS ?k)
        { ?s kg:listsPaper ?p } GROUP BY ?p } FILTER(?k > 1) }""",
    )
    assert int(total[0]["n"]) == 104
    assert int(shared[0]["n"]) == 16


def test_no_author_merge_on_the_seeds(store: KGStore) -> None:
    """No spelling variants in the seeds: no merge decision, one resource per name string."""
    merges = rows(store, f"""SELECT ?d {{ GRAPH <{IDENTITY}> {{ ?d kg:decisionKind "merge" }} }}""")
    assert merges == []
    authors = rows(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) { ?a a schema:Person }")
    assert int(authors[0]["n"]) == 153  # the distinct author strings of PROFILE_FORMAT.md section 5


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Kai Zheng", "Kaipeng Zheng", id="kai-kaipeng"),
        pytest.param("Di Zhang", "Dinghuai Zhang", id="di-dinghuai"),
        pytest.param("Wei Lin", "Wei Liu", id="lin-liu"),
    ],
)
def test_look_alike_names_stay_distinct(store: KGStore, a: str, b: str) -> None:
    ia, ib = SCHEME.author(a), SCHEME.author(b)
    assert ia != ib
    for iri, name in ((ia, a), (ib, b)):
        assert rows(store, f"SELECT ?n {{ <{iri}> schema:name ?n }}") == [{"n": name}]
    links = rows(store, f"""SELECT ?p {{ <{ia}> ?p <{ib}> }}""") + rows(
        store, f"SELECT ?p {{ <{ib}> ?p <{ia}> }}"
    )
    assert links == [], "no owl:sameAs, no kg:possiblySameAs between different people"


def test_kai_and_kaipeng_are_recorded_as_distinct_with_the_reason(store: KGStore) -> None:
    """They share a profile (003), so the decision not to merge is stated and explained."""
    found = rows(
        store,
        f"""SELECT ?d ?e {{ GRAPH <{IDENTITY}> {{
        ?d kg:decisionKind "distinct" ; kg:decidedAuthor <{SCHEME.author("Kai Zheng")}> ,
           <{SCHEME.author("Kaipeng Zheng")}> ; kg:decisionEvidence ?e }} }}""",
    )
    assert any("prefix" in r["e"] for r in found), found


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(
            "Large Language Model Post-Training: A Unified View of Off-Policy and On-Policy Learning",
            "Towards a Unified View of Large Language Model Post-Training",
            id="post-training",
        ),
        pytest.param(
            "Automating Exploratory Proteomics Research via Language Models",
            "Automating Exploratory Multiomics Research via Language Models",
            id="omics",
        ),
    ],
)
def test_near_titled_papers_stay_apart_and_say_why(store: KGStore, a: str, b: str) -> None:
    pa, pb = SCHEME.paper(a), SCHEME.paper(b)
    assert pa != pb
    for iri in (pa, pb):
        assert rows(store, f"SELECT ?t {{ <{iri}> a schema:ScholarlyArticle ; dcterms:title ?t }}")
    decided = rows(
        store,
        f"""SELECT ?kind ?e {{ GRAPH <{IDENTITY}> {{ ?d kg:decidedPaper <{pa}> , <{pb}> ;
        kg:decisionKind ?kind ; kg:decisionEvidence ?e }} }}""",
    )
    assert {r["kind"] for r in decided} == {"distinct"}


def test_xuyang_zhao_is_flagged_with_evidence(store: KGStore) -> None:
    person = SCHEME.author("Xuyang Zhao")
    found = rows(
        store, f"""SELECT ?e {{ <{person}> kg:possiblyAmbiguous true ; kg:ambiguityEvidence ?e }}"""
    )
    evidence = " | ".join(r["e"] for r in found)
    assert "co-author communities" in evidence
    # The communities are named by their co-authors: the EEG line and the NLP line.
    assert "Toshihisa Tanaka" in evidence and "Shiwan Zhao" in evidence


def test_only_xuyang_zhao_is_flagged(store: KGStore) -> None:
    flagged = rows(store, "SELECT ?n { ?a kg:possiblyAmbiguous true ; schema:name ?n }")
    assert [r["n"] for r in flagged] == ["Xuyang Zhao"]


def test_decisions_are_queryable_in_sparql(store: KGStore) -> None:
    """Every decision has a kind, a method, a decimal score, evidence and the resources it is about."""
    found = rows(
        store,
        f"""SELECT ?d ?kind ?method ?score (DATATYPE(?score) AS ?type) (COUNT(?e) AS ?evidence)
        (COUNT(DISTINCT ?r) AS ?resources) {{ GRAPH <{IDENTITY}> {{
          ?d a kg:IdentityDecision ; kg:decisionKind ?kind ; kg:decisionMethod ?method ;
             kg:decisionScore ?score ; kg:decisionEvidence ?e ; kg:decidedAuthor|kg:decidedPaper ?r }} }}
        GROUP BY ?d ?kind ?method ?score""",
    )
    assert len(found) >= 4  # two look-alike name pairs, two near-titled paper pairs
    for row in found:
        assert row["type"] == "http://www.w3.org/2001/XMLSchema#decimal"
        assert 0 <= float(row["score"]) <= 1
        assert int(row["evidence"]) >= 1 and int(row["resources"]) == 2


def test_identity_graph_carries_its_input_digest(store: KGStore) -> None:
    found = rows(store, f"SELECT ?d {{ GRAPH <{IDENTITY}> {{ <{IDENTITY}> kg:inputDigest ?d }} }}")
    assert len(found) == 1 and len(found[0]["d"]) == 64


def test_owner_hidden_in_et_al_is_an_author_of_every_listed_paper(store: KGStore) -> None:
    """001's owner is visible on 2 of 17 entries, yet an author of all 17 (the mapping states it)."""
    owner = SCHEME.author("Lizhu Zhang")
    graph = next(g for g in (s.graph for s in store.sources().values()) if "001_" in g)
    found = rows(
        store,
        f"""SELECT (COUNT(DISTINCT ?p) AS ?listed) (COUNT(DISTINCT ?a) AS ?authored) {{
        GRAPH <{graph}> {{ ?s kg:listsPaper ?p ; foaf:primaryTopic <{owner}> .
                          OPTIONAL {{ ?p schema:author <{owner}> BIND(?p AS ?a) }} }} }}""",
    )
    assert found == [{"listed": "17", "authored": "17"}]
    visible = rows(
        store,
        f"""SELECT (COUNT(DISTINCT ?p) AS ?n) {{ GRAPH <{graph}> {{
        ?p prov:qualifiedAttribution/prov:agent <{owner}> }} }}""",
    )
    assert visible == [{"n": "2"}]


def test_report_lists_the_decisions(store: KGStore) -> None:
    report = decision_report(store, SCHEME)
    kinds = {(d["kind"], d["method"]) for d in report["decisions"]}
    assert ("distinct", "title-similarity") in kinds and ("distinct", "name-rules") in kinds
    assert [a["name"] for a in report["ambiguous"]] == ["Xuyang Zhao"]
    assert all(d["evidence"] and d["resources"] for d in report["decisions"])


def test_identity_graph_conforms_to_the_shapes(store: KGStore) -> None:
    """Decisions and the flags on persons satisfy ontology/shapes.ttl, checked on the union."""
    pyshacl = pytest.importorskip("pyshacl")
    from rdflib import Graph

    from kg.rdf import ontology

    union = Graph()
    union.parse(data="".join(_dump(store)), format="nt")
    conforms, _report, text = pyshacl.validate(
        union,
        shacl_graph=ontology.shapes_graph(),
        ont_graph=ontology.ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=False,
    )
    assert conforms, text


def _dump(store: KGStore) -> list[str]:
    import io

    out = io.BytesIO()
    store.dump(out, "ntriples")
    return [out.getvalue().decode("utf-8")]
