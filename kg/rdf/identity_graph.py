"""The identity graph as N-Triples: what :func:`kg.identity.resolve.resolve` decided, in RDF.

One ``kg:IdentityDecision`` per decision (kind, method, score, evidence, decided
authors or papers), ``kg:possiblySameAs`` between authors kept apart but possibly
one, ``kg:possiblyAmbiguous`` / ``kg:ambiguityEvidence`` on ambiguous names.
``owl:sameAs`` is never written: a merge gives the names one IRI.
:mod:`kg.pipeline.identity` stores it as the graph ``graph/_identity``.
"""

from __future__ import annotations

from collections.abc import Iterator

from kg.identity.records import Decision, Resolution
from kg.rdf.iri import IriScheme
from kg.rdf.map import literal, typed
from kg.rdf.namespace import KG, RDF, RDFS, XSD

__all__ = ["identity_ntriples", "input_digest_ntriple"]


def _iri(value: str) -> str:
    return f"<{value}>"


def identity_ntriples(
    resolution: Resolution,
    scheme: IriScheme,
) -> Iterator[str]:
    """The N-Triples of the identity graph, one line at a time (each ends with a newline).

    Decisions name only resources that exist after resolution: a merge names
    the canonical resource (the merged spelling is in its label and evidence).

    A line is given once. Only a few can repeat, so only those are held to drop repeats
    (at 1M papers the graph is 5M lines, 800 MB of text; held as a list with a set of them,
    they set pass 1's peak): a decision's lines have its own node as subject, one node per
    decision (resolution keeps one decision per set of keys, from which its IRI is minted),
    so they repeat only within it (two evidence texts alike); ``kg:possiblySameAs`` and the
    ambiguity statements may repeat across decisions and names. (Two decisions whose IRIs, a
    48-bit hash of their keys, collided would share a node, as before, and state its type,
    kind and method twice: the same triples.)
    """
    shared: set[str] = set()

    a = _iri(RDF.type)
    for d in resolution.decisions:
        if d.entity == "author":
            live = _live_authors(d, resolution)
            resources = [_iri(scheme.author_from_key(k)) for k in live]
            predicate = _iri(KG.decidedAuthor)
        else:
            live = _live_papers(d, resolution)
            resources = [_iri(scheme.paper_from_key(k)) for k in live]
            predicate = _iri(KG.decidedPaper)
        if not resources:
            continue
        node = _iri(scheme.decision(d.ident))
        own = [
            f"{node} {a} {_iri(KG.IdentityDecision)} .\n",
            f"{node} {_iri(RDFS.label)} {literal(_label(d))} .\n",
            f"{node} {_iri(KG.decisionKind)} {literal(d.kind)} .\n",
            f"{node} {_iri(KG.decisionMethod)} {literal(d.method)} .\n",
            f"{node} {_iri(KG.decisionScore)} "
            f"{typed(f'{min(1.0, max(0.0, d.score)):.3f}', XSD.decimal)} .\n",
            *(f"{node} {_iri(KG.decisionEvidence)} {literal(text)} .\n" for text in d.evidence),
            *(f"{node} {predicate} {resource} .\n" for resource in resources),
        ]
        yield from dict.fromkeys(own)
        if d.kind == "possibly-same" and d.entity == "author" and len(resources) == 2:
            yield from _once(shared, f"{resources[0]} {_iri(KG.possiblySameAs)} {resources[1]} .\n")
            yield from _once(shared, f"{resources[1]} {_iri(KG.possiblySameAs)} {resources[0]} .\n")
    for amb in resolution.ambiguous:
        person = _iri(scheme.author_from_key(amb.key))
        yield from _once(
            shared, f"{person} {_iri(KG.possiblyAmbiguous)} {typed('true', XSD.boolean)} .\n"
        )
        # One literal, its parts in the order written (summary first): a store returns
        # several values of a property in no defined order.
        yield from _once(
            shared,
            f"{person} {_iri(KG.ambiguityEvidence)} {literal(' | '.join(amb.evidence))} .\n",
        )


def _once(given: set[str], line: str) -> Iterator[str]:
    """``line``, unless it is in ``given`` (to which it is added)."""
    if line not in given:
        given.add(line)
        yield line


def _live_authors(d: Decision, res: Resolution) -> list[str]:
    return _live(d, [res.author_alias.get(k, k) for k in d.keys])


def _live_papers(d: Decision, res: Resolution) -> list[str]:
    return _live(d, [res.paper_alias.get(k, k) for k in d.keys])


def _live(d: Decision, canonical: list[str]) -> list[str]:
    """The resources a decision names once merges are applied.

    A merge names its one resulting resource. A pair that merging collapsed
    into one resource names nothing (the merge decision explains it), except a
    curated constraint, which is kept on the one resource so that it is seen.
    """
    distinct = list(dict.fromkeys(canonical))
    if d.kind in ("merge", "curated-must-link"):
        return distinct[:1]
    if len(distinct) == len(canonical):
        return distinct
    return distinct[:1] if d.kind.startswith("curated") else []


def _label(d: Decision) -> str:
    arrow = " <- " if d.kind == "merge" else " / "
    return f"{d.kind} ({d.method}): {arrow.join(d.names)}"


def input_digest_ntriple(scheme: IriScheme, digest: str) -> str:
    """The identity graph's ``kg:inputDigest`` statement (written last: a graph that has
    it is complete)."""
    graph = _iri(scheme.identity_graph())
    return f"{graph} {_iri(KG.inputDigest)} {literal(digest)} .\n"
