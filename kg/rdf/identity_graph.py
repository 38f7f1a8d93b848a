"""The identity graph as N-Triples: what :func:`kg.identity.resolve.resolve` decided, in RDF.

One ``kg:IdentityDecision`` per decision (kind, method, score, evidence, decided
authors or papers), ``kg:possiblySameAs`` between authors kept apart but possibly
one, ``kg:possiblyAmbiguous`` / ``kg:ambiguityEvidence`` on ambiguous names.
``owl:sameAs`` is never written: a merge gives the names one IRI.
:mod:`kg.pipeline.identity` stores it as the graph ``graph/_identity``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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
    # The IRIs every decision's lines share, made once (5M lines at 1M papers).
    a, decision_class = _iri(RDF.type), _iri(KG.IdentityDecision)
    label, kind, method, score = (
        _iri(p) for p in (RDFS.label, KG.decisionKind, KG.decisionMethod, KG.decisionScore)
    )
    evidence, same_as = _iri(KG.decisionEvidence), _iri(KG.possiblySameAs)
    decided = {"author": _iri(KG.decidedAuthor), "paper": _iri(KG.decidedPaper)}
    ambiguous, ambiguity_evidence = _iri(KG.possiblyAmbiguous), _iri(KG.ambiguityEvidence)
    true = typed("true", XSD.boolean)
    shared: set[str] = set()  # the lines that may repeat across decisions and names
    for d in resolution.decisions:
        if d.entity == "author":
            resources = [_iri(scheme.author_from_key(k)) for k in _live_authors(d, resolution)]
        else:
            resources = [_iri(scheme.paper_from_key(k)) for k in _live_papers(d, resolution)]
        if not resources:
            continue
        node = _iri(scheme.decision(d.ident))
        predicate = decided[d.entity]
        own = [
            f"{node} {a} {decision_class} .\n",
            f"{node} {label} {literal(_label(d))} .\n",
            f"{node} {kind} {literal(d.kind)} .\n",
            f"{node} {method} {literal(d.method)} .\n",
            f"{node} {score} {typed(f'{min(1.0, max(0.0, d.score)):.3f}', XSD.decimal)} .\n",
            *(f"{node} {evidence} {literal(text)} .\n" for text in d.evidence),
            *(f"{node} {predicate} {resource} .\n" for resource in resources),
        ]
        yield from dict.fromkeys(own)
        if d.kind == "possibly-same" and d.entity == "author" and len(resources) == 2:
            first, second = resources
            yield from _unseen(
                shared, (f"{first} {same_as} {second} .\n", f"{second} {same_as} {first} .\n")
            )
    for amb in resolution.ambiguous:
        person = _iri(scheme.author_from_key(amb.key))
        # One literal, its parts in the order written (summary first): a store returns
        # several values of a property in no defined order.
        summary = literal(" | ".join(amb.evidence))
        yield from _unseen(
            shared,
            (f"{person} {ambiguous} {true} .\n", f"{person} {ambiguity_evidence} {summary} .\n"),
        )


def _unseen(seen: set[str], lines: tuple[str, ...]) -> Iterator[str]:
    """The ``lines`` not in ``seen`` (to which they are added)."""
    for line in lines:
        if line not in seen:
            seen.add(line)
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


def unsettled_ntriples(scheme: IriScheme, sources: Iterable[str]) -> Iterator[str]:
    """The identity graph's ``kg:unsettledSource`` statements: the stored sources its
    decisions would map otherwise, which the ingest did not map again."""
    graph = _iri(scheme.identity_graph())
    for source in sources:
        yield f"{graph} {_iri(KG.unsettledSource)} {_iri(scheme.graph(source))} .\n"


def input_digest_ntriple(scheme: IriScheme, digest: str) -> str:
    """The identity graph's ``kg:inputDigest`` statement (written last: a graph that has
    it is complete)."""
    graph = _iri(scheme.identity_graph())
    return f"{graph} {_iri(KG.inputDigest)} {literal(digest)} .\n"
