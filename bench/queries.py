"""The queries of the benchmark, and report parameters drawn from the generated corpus.

The same query text goes to every engine (our endpoint, the native Oxigraph
server, rdflib). A report binds its parameters through pyoxigraph
``substitutions``, which other engines do not have, so for them the values are
written into the text (:func:`inline`) the way a substitution binds them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kg.rdf.namespace import sparql_prologue
from kg.sparql.text import lex

#: /sparql throughput queries: one cheap (an author's papers), one heavier (top co-authors).
CHEAP = """PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?paper ?title WHERE { ?paper schema:author <AUTHOR> ; dcterms:title ?title }"""
HEAVY = """PREFIX schema: <https://schema.org/>
SELECT ?coauthor (COUNT(DISTINCT ?paper) AS ?papers)
WHERE { ?paper schema:author <AUTHOR> , ?coauthor . FILTER(?coauthor != <AUTHOR>) }
GROUP BY ?coauthor ORDER BY DESC(?papers) ?coauthor LIMIT 20"""

#: Reports run against the native server for throughput: an entity one and a whole-graph one.
THROUGHPUT_REPORTS = ("coauthors", "subjects")


_EMPTY_GROUP = re.compile(
    r"(GROUP\s+BY\s+)(?=(?:ORDER|HAVING|LIMIT|OFFSET|VALUES)\b|\}|$)", re.IGNORECASE
)


def sparql_queries(author: str) -> dict[str, str]:
    return {"cheap": CHEAP.replace("AUTHOR", author), "heavy": HEAVY.replace("AUTHOR", author)}


def inline(query: str, terms: Mapping[str, Any]) -> str:
    """``query`` with each variable of ``terms`` replaced by its value, as a substitution binds it.

    ``terms`` maps variable names to pyoxigraph terms. A bound variable in a
    triple pattern or an expression becomes the term; in the top-level
    projection ``(term AS ?name)``; in a nested projection it is dropped (the
    outer query sees the constant); in GROUP BY and ORDER BY ``(term)``.
    """
    values = {name: str(term) for name, term in terms.items()}
    out: list[str] = []
    depth = 0  # braces
    parens = 0
    mode = "body"  # body | projection | group | order
    top_done = False
    is_top = False
    pending_by = ""
    emptied_group = False
    for token in lex(query):
        kind, text = token.kind, token.text
        upper = text.upper() if kind == "word" else ""
        if kind == "other":
            if text == "(":
                parens += 1
            elif text == ")":
                parens -= 1
            elif text == "{":
                depth += 1
                if mode == "projection":
                    mode = "body"
            elif text == "}":
                depth -= 1
                mode = "body"
        elif kind == "word":
            if upper == "SELECT":
                mode = "projection"
                is_top = not top_done and depth == 0
                top_done = True
            elif upper == "WHERE" and mode == "projection":
                mode = "body"
            elif upper in ("GROUP", "ORDER"):
                pending_by = upper
            elif upper == "BY" and pending_by:
                mode = "group" if pending_by == "GROUP" else "order"
                pending_by = ""
            elif upper in ("HAVING", "LIMIT", "OFFSET", "VALUES"):
                mode = "body"
        if kind == "var" and text[1:] in values:
            value = values[text[1:]]
            if mode == "projection" and parens == 0:
                text = f"({value} AS {text})" if is_top else ""
            elif mode == "group" and parens == 0:
                text = ""  # grouping by a constant is no grouping; rdflib rejects GROUP BY (<iri>)
                emptied_group = True
            elif mode == "order" and parens == 0:
                text = f"({value})"
            else:
                text = value
        out.append(text)
    result = "".join(out)
    if emptied_group:
        # A GROUP BY left with no key goes (one group; rdflib rejects a constant key such as
        # GROUP BY (1)). It differs only on no solutions at all: one row of zero counts.
        result = _EMPTY_GROUP.sub("", result)
    return result


@dataclass(frozen=True, slots=True)
class Entities:
    """Real resources of the corpus to use as report parameters."""

    authors: list[str]
    papers: list[str]
    author_names: list[str]
    repo_owners: list[str]
    organizations: list[str]


def sample_entities(run_query: Any, count: int, seed: int) -> Entities:
    """A seeded sample of ``count`` authors, papers, ... from the store.

    ``run_query(text) -> list[tuple]`` runs a SELECT and returns rows of plain values.
    Authors are half profile owners, half drawn uniformly among everyone with a paper
    (most of whom own no profile), alternating.
    """
    rng = random.Random(seed)
    prologue = sparql_prologue()
    authors = sorted(
        {r[0] for r in run_query(prologue + "SELECT DISTINCT ?a WHERE { ?p schema:author ?a }")}
    )
    papers = sorted(
        {r[0] for r in run_query(prologue + "SELECT ?p WHERE { ?p a schema:ScholarlyArticle }")}
    )
    owners_of_profiles = sorted(
        {
            r[0]
            for r in run_query(
                prologue + "SELECT DISTINCT ?a WHERE { ?profile foaf:primaryTopic ?a }"
            )
        }
    )
    # Half profile owners (who have profiles, timelines, many papers), half any author.
    half = min(count // 2, len(owners_of_profiles))
    picked_owners = rng.sample(owners_of_profiles, half)
    rest = [a for a in authors if a not in set(picked_owners)]
    picked_others = rng.sample(rest, min(count - half, len(rest)))
    picked_authors = [a for pair in zip(picked_owners, picked_others, strict=False) for a in pair]
    picked_authors += picked_owners[len(picked_others) :] + picked_others[len(picked_owners) :]
    names: list[str] = []
    for iri in picked_authors[: max(1, count // 2)]:
        rows = run_query(prologue + f"SELECT ?n WHERE {{ <{iri}> schema:name ?n }} LIMIT 1")
        if rows:
            names.append(rows[0][0])
    owners = sorted(
        {
            r[0]
            for r in run_query(prologue + "SELECT DISTINCT ?o WHERE { ?r kg:repositoryOwner ?o }")
        }
    )
    orgs = sorted(
        {
            r[0]
            for r in run_query(
                prologue + "SELECT DISTINCT ?t WHERE { ?o a schema:Organization ; "
                "schema:identifier ?t }"
            )
        }
    )
    return Entities(
        authors=picked_authors,
        papers=rng.sample(papers, min(count, len(papers))),
        author_names=names,
        repo_owners=rng.sample(owners, min(count, len(owners))),
        organizations=orgs,
    )


def report_parameter_sets(report: Any, entities: Entities, count: int) -> list[dict[str, str]]:
    """Parameter sets for one report: its examples, with entity parameters replaced by real ones.

    A report with a required author or paper parameter (an *entity report*) gets
    ``count`` sets, each naming another entity, and only its required
    parameters (the optional filters' examples, such as a year and a subject,
    would leave a random author with no row); any other report gets one set, its
    example values (an ``owner`` or a search ``q`` taken from the corpus, since
    the examples name real people who are not in a generated corpus).
    """
    base: dict[str, str] = {}
    varying: list[str] = []
    entity = is_entity_report(report)
    for param in report.parameters:
        if param.type in ("author", "paper"):
            varying.append(param.name)
        elif entity and not param.required:
            continue
        elif param.name == "owner" and entities.repo_owners:
            base[param.name] = entities.repo_owners[0]
        elif param.name == "q" and entities.author_names:
            base[param.name] = entities.author_names[0]
        elif param.example is not None and (param.required or param.default is None):
            base[param.name] = param.example
    if not varying:
        return [base]
    sets = []
    authors = entities.authors
    for index in range(count):
        values = dict(base)
        for offset, name in enumerate(varying):
            param = report.parameter(name)
            pool = entities.papers if param.type == "paper" else authors
            values[name] = pool[(index + offset * (count // 2 + 1)) % len(pool)]
        sets.append(values)
    return sets


def is_entity_report(report: Any) -> bool:
    return any(p.type in ("author", "paper") and p.required for p in report.parameters)


def rows_of(outcome: Any) -> list[tuple[Any, ...]]:
    """Rows of plain values (strings) of a kg.store.query.QueryOutcome."""
    if outcome.select is None:
        return []
    return [tuple(None if t is None else t.value for t in row) for row in outcome.select.rows]


def report_text(report: Any, terms: Mapping[str, Any]) -> str:
    """A report's query (its variant for the parameters given, as the server sends it) with its
    bound parameters written in (for engines without substitutions)."""
    return inline(report.query_for(terms), terms)


def unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))
