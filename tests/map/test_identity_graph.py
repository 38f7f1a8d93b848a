"""The identity graph's N-Triples (kg.rdf.identity_graph): made one line at a time, each
line once, and what they say parses as RDF."""

from __future__ import annotations

from collections.abc import Iterator

import rdflib

from kg.identity.records import Ambiguity, Decision, Resolution
from kg.rdf.identity_graph import identity_ntriples
from kg.rdf.iri import IriScheme
from kg.rdf.namespace import KG
from tests.conftest import TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)


def _resolution() -> Resolution:
    said_twice = "shared co-author: ada quill"
    return Resolution(
        author_alias={"jon smith": "john smith"},
        decisions=(
            # Two decisions that name the same two authors once merges are applied.
            Decision(
                "possibly-same",
                "author",
                ("john smith", "j smith"),
                ("John Smith", "J. Smith"),
                "initials",
                0.6,
                (said_twice, said_twice),
            ),
            Decision(
                "possibly-same",
                "author",
                ("jon smith", "j smith"),
                ("Jon Smith", "J. Smith"),
                "initials",
                0.5,
                (said_twice,),
            ),
            Decision(
                "merge",
                "author",
                ("john smith", "jon smith"),
                ("John Smith", "Jon Smith"),
                "typo",
                0.9,
                ("same papers",),
            ),
        ),
        ambiguous=(
            Ambiguity("j smith", "J. Smith", 4, (("a",), ("b",)), ("2 communities",)),
            Ambiguity("j smith", "J. Smith", 4, (("a",), ("b",)), ("2 communities",)),
        ),
    )


def test_lines_are_made_as_they_are_taken_each_once() -> None:
    lines = identity_ntriples(_resolution(), SCHEME)
    assert isinstance(lines, Iterator)  # not a list held whole
    first = next(lines)
    assert first.endswith(" .\n")
    every = [first, *lines]
    assert len(every) == len(set(every))
    same_as = [line for line in every if str(KG.possiblySameAs) in line]
    assert len(same_as) == 2  # one each way, though two decisions say it
    evidence = [line for line in every if str(KG.decisionEvidence) in line]
    assert len(evidence) == 3  # the repeated text once per decision
    assert sum(str(KG.possiblyAmbiguous) in line for line in every) == 1


def test_the_lines_are_an_rdf_graph_with_one_node_per_decision() -> None:
    graph = rdflib.Graph().parse(
        data="".join(identity_ntriples(_resolution(), SCHEME)), format="nt"
    )
    nodes = set(graph.subjects(rdflib.RDF.type, KG.IdentityDecision))
    assert len(nodes) == 3
    smith = rdflib.URIRef(SCHEME.author_from_key("john smith"))
    assert set(graph.objects(smith, KG.possiblySameAs)) == {
        rdflib.URIRef(SCHEME.author_from_key("j smith"))
    }
