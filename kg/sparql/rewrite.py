"""Rewriting SPARQL text: what a store that takes text only needs instead of our API.

* :func:`bind_values` and :func:`prepare_query`: query parameters
  (pyoxigraph's ``substitutions``) as ``VALUES`` blocks, a ``BASE`` and the
  missing ``PREFIX`` lines, for an external store (:mod:`kg.store.remote`);
* :func:`with_using`: the SPARQL Protocol's ``using-graph-uri`` /
  ``using-named-graph-uri`` as ``USING`` clauses of an update;
* :func:`uses_graph`: whether a query names graphs (``GRAPH``).

Everything works on the tokens of :mod:`kg.sparql.text`, so a word inside a
string, an IRI or a comment is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from kg.errors import BadRequest, InvalidParameter
from kg.sparql.text import Token, apply_edits, scan, tokens


def _term_text(name: str, term: Any) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    raise InvalidParameter(
        f"parameter {name}: only IRIs and literals can be sent to an external store, not {term!r}"
    )


def _matching(toks: list[Token], index: int) -> int:
    """Index of the token closing the bracket opened at ``index``."""
    opening = toks[index].text
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    depth = 0
    for position in range(index, len(toks)):
        text = toks[position].text
        if text == opening:
            depth += 1
        elif text == closing:
            depth -= 1
            if depth == 0:
                return position
    return len(toks) - 1


def _select_group(toks: list[Token], index: int) -> tuple[int | None, set[str], bool, set[str]]:
    """For the SELECT at ``index``: the index of its WHERE group's ``{``, the plainly
    projected variables, whether it projects ``*``, and the variables bound by ``AS``."""
    plain: set[str] = set()
    bound: set[str] = set()
    star = False
    position = index + 1
    while position < len(toks):
        tok = toks[position]
        if tok.text == "{":
            return position, plain, star, bound
        if tok.text == "(":
            close = _matching(toks, position)
            if (
                close - 1 > position
                and toks[close - 1].kind == "var"
                and toks[close - 2].text.upper() == "AS"
            ):
                bound.add(toks[close - 1].text[1:])
            position = close + 1
            continue
        if tok.kind == "var":
            plain.add(tok.text[1:])
        elif tok.text == "*":
            star = True
        position += 1
    return None, plain, star, bound


def bind_values(text: str, substitutions: Mapping[str, Any] | None) -> str:
    """The query with its parameters bound by ``VALUES``, for a store that takes text only.

    pyoxigraph's ``substitutions`` replace a projected variable by a term
    wherever it is in scope: in the query and in every sub-query that projects
    it. Over the protocol the same binding is a ``VALUES (?a ?b) { (t1 t2) }``
    block put first in the query's WHERE group, in every group nested in it
    that uses the variable (OPTIONAL, UNION branches, MINUS, EXISTS, GRAPH),
    and in the WHERE group of each sub-query that projects it: joined first in
    each group, the constant reaches every pattern and FILTER of the scope, as
    the substitution does. A ``CONSTRUCT WHERE { ... }`` gets its template
    written out; a ``DESCRIBE ?x`` without WHERE names the IRI instead.

    Raises InvalidParameter for a blank node or a quoted triple.

    >>> bind_values("SELECT ?a ?n WHERE { ?a <http://e/p> ?n }", {"a": ox.NamedNode("http://e/x")})
    'SELECT ?a ?n WHERE { VALUES (?a) { (<http://e/x>) } ?a <http://e/p> ?n }'
    """
    if not substitutions:
        return text
    terms = {name: _term_text(name, term) for name, term in substitutions.items()}
    toks = tokens(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)

    def clause(names: Iterable[str]) -> str:
        chosen = [n for n in terms if n in set(names)]
        if not chosen:
            return ""
        return (
            f" VALUES ({' '.join('?' + n for n in chosen)}) "
            f"{{ ({' '.join(terms[n] for n in chosen)}) }}"
        )

    def insert_after(index: int, names: Iterable[str]) -> None:
        added = clause(names)
        if added:
            edits.append((toks[index].end, toks[index].end, added))

    def group(open_index: int, names: set[str], whole_scope: bool) -> None:
        """The group opened by the ``{`` at ``open_index``, where ``names`` are in scope."""
        close = _matching(toks, open_index)
        first = toks[open_index + 1] if open_index + 1 < close else None
        if first is not None and first.kind == "word" and first.text.upper() == "SELECT":
            sub_select(open_index + 1, names)
            return
        inner = toks[open_index + 1 : close]
        used = (
            names
            if whole_scope
            else {n for n in names if any(t.kind == "var" and t.text[1:] == n for t in inner)}
        )
        if not used:
            return
        insert_after(open_index, used)
        position = open_index + 1
        while position < close:
            tok = toks[position]
            if tok.kind == "word" and tok.text.upper() == "VALUES":
                block = next((i for i in range(position + 1, close) if toks[i].text == "{"), None)
                position = _matching(toks, block) + 1 if block is not None else close
                continue
            if tok.text == "{":
                group(position, used, whole_scope=False)
                position = _matching(toks, position) + 1
                continue
            position += 1

    def sub_select(index: int, names: set[str]) -> None:
        where, plain, star, bound = _select_group(toks, index)
        inner = (set(names) if star else plain & names) - bound
        if where is not None and inner:
            group(where, inner, whole_scope=True)

    form_index = next(
        (
            i
            for i, t in enumerate(toks)
            if t.kind == "word" and t.text.upper() in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
        ),
        None,
    )
    if form_index is None:
        return text
    form = toks[form_index].text.upper()
    names = set(terms)
    following = toks[form_index + 1] if form_index + 1 < len(toks) else None
    if form == "SELECT":
        where, _plain, _star, bound = _select_group(toks, form_index)
        if where is not None:
            group(where, names - bound, whole_scope=True)
    elif form == "CONSTRUCT" and following is not None and following.text == "{":
        template_end = _matching(toks, form_index + 1)
        where = next((i for i in range(template_end + 1, len(toks)) if toks[i].text == "{"), None)
        if where is not None:
            group(where, names, whole_scope=True)
    elif form == "CONSTRUCT" and following is not None and following.text.upper() == "WHERE":
        # CONSTRUCT WHERE { T } -> CONSTRUCT { T } WHERE { VALUES ... T }
        opening = form_index + 2
        if opening < len(toks) and toks[opening].text == "{":
            close = _matching(toks, opening)
            template = text[toks[opening].start : toks[close].end]
            edits.append(
                (following.start, toks[opening].end, template + " WHERE {" + clause(names))
            )
    else:  # ASK, DESCRIBE
        where = next((i for i in range(form_index + 1, len(toks)) if toks[i].text == "{"), None)
        if where is not None:
            group(where, names, whole_scope=True)
        elif form == "DESCRIBE":
            for tok in toks[form_index + 1 :]:
                if tok.kind == "var" and tok.text[1:] in terms:
                    if not terms[tok.text[1:]].startswith("<"):
                        raise InvalidParameter(f"parameter {tok.text[1:]}: DESCRIBE needs an IRI")
                    edits.append((tok.start, tok.end, terms[tok.text[1:]]))
    return apply_edits(text, edits)


def prepare_query(
    text: str,
    *,
    substitutions: Mapping[str, Any] | None = None,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """Query text for the store: parameters bound, base and missing prefixes declared first.

    The declarations go on the first line, so the store's error messages keep
    the line numbers of the text the user wrote.
    """
    text = bind_values(text, substitutions)
    head = ""
    if base_iri:
        head += f"BASE <{base_iri}> "
    if prefixes:
        declared = scan(text).prefixes
        head += "".join(f"PREFIX {p}: <{iri}> " for p, iri in prefixes.items() if p not in declared)
    return head + text


def with_using(text: str, using: tuple[str, ...], using_named: tuple[str, ...]) -> str:
    """The update with ``USING`` / ``USING NAMED`` clauses for the protocol's dataset.

    They go before the ``WHERE`` of every DELETE/INSERT operation (the form
    that takes them). Raises BadRequest when the update has its own USING or
    WITH: the protocol forbids both at once.
    """
    clauses = " ".join(
        [f"USING <{iri}>" for iri in using] + [f"USING NAMED <{iri}>" for iri in using_named]
    )
    out: list[str] = []
    last = 0
    depth = 0
    previous = ""
    for token in tokens(text):
        kind, value, start = token.kind, token.text, token.start
        word = value.upper() if kind == "word" else ""
        if kind == "other" and value in "{}":
            depth += 1 if value == "{" else -1
        elif depth == 0 and word in ("USING", "WITH"):
            raise BadRequest(
                f"the update has its own {word} clause; it cannot be combined with "
                "using-graph-uri or using-named-graph-uri"
            )
        elif depth == 0 and word == "WHERE" and previous != "DELETE":
            out.append(text[last:start])
            out.append(clauses + " ")
            last = start
        previous = word
    out.append(text[last:])
    return "".join(out)


def uses_graph(text: str) -> bool:
    """Whether the text has the keyword GRAPH (outside strings, IRIs and comments)."""
    return any(t.kind == "word" and t.text.upper() == "GRAPH" for t in tokens(text))
