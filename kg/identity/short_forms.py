"""Step 3 of resolution: short name forms (initials, a name without its middle name) are
decided per paper (:func:`attach_short_forms`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from kg.identity.corpus import Corpus, canonical_authors, combine, listings_of_paper, name_pairs
from kg.identity.names import (
    is_initials,
    name_parts,
    name_rule,
    short_and_long,
)
from kg.identity.records import Decision, Resolution


@dataclass
class ShortFormContext:
    """What the short-form step reads: canonical authors per listing and, per author,
    the full-name authors they have published with."""

    canonical: list[tuple[str, ...]]
    #: author -> authors written in full who are their co-authors somewhere
    neighbours: dict[str, set[str]]
    options_of: dict[str, list[str]]
    alias: Mapping[str, str]
    #: per source: the authors written in full (not attached per paper) on its listings, with
    #: the number of its listings that name them
    profile_names: dict[int, Counter[str]] = field(default_factory=dict)
    #: per short form key: its co-authors over all its listings, counted (made when asked)
    circles: dict[int, Counter[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        corpus: Corpus,
        canonical: list[tuple[str, ...]],
        alias: Mapping[str, str],
        options_of: dict[str, list[str]],
    ) -> ShortFormContext:
        """Who has published with whom. A mention that an earlier run attached to a fuller
        name is left out, so that it is never evidence for itself."""
        keys = corpus.keys
        neighbours: dict[str, set[str]] = defaultdict(set)
        profile_names: dict[int, Counter[str]] = defaultdict(Counter)
        for j, names in enumerate(canonical):
            ids = corpus.authors[j]
            in_profile = profile_names[corpus.listing_source[j]]
            for pos, e in enumerate(names):
                written = keys[ids[pos]]
                if e != written and e != alias.get(written, written):
                    continue
                in_profile[e] += 1
                if len(names) < 2:
                    continue
                for x in names:
                    if x != e:
                        neighbours[x].add(e)
        return cls(canonical, neighbours, options_of, alias, dict(profile_names))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A name that a short form on one paper may stand for, with the evidence for it."""

    score: float
    name: str
    evidence: str


@dataclass(frozen=True, slots=True)
class MentionOutcome:
    """What the context of one paper says about a short form on it: the name it is
    attached to (None: none), with its score and evidence, or the candidates that are
    possibly the same person."""

    attach: Candidate | None
    possible: tuple[Candidate, ...] = ()


def attach_short_forms(corpus: Corpus, res: Resolution) -> Resolution:
    """Step 3: each mention of a short name form joins the one fuller name its paper supports.

    Short forms stand for several people, so they are decided per paper:
    initials ("J. Smith": any full name that fits) and names without a middle
    name ("Meera Desai" next to "Meera Karthik Desai", which may be another
    person). A short full name may also stay itself, and does unless the
    evidence for a fuller name is clearly stronger. Only candidates that the
    paper's context can support are scored (a reverse index of co-authors).
    Re-decides every mention (a later run sees better-resolved co-authors);
    replaces the mention aliases and the "initials" / "middle-name" decisions
    of an earlier run.
    """
    keys = corpus.keys
    alias = res.author_alias
    cannot = _cannot_links(corpus, alias)
    options_of = initials_options(corpus, alias, cannot)
    fuller = _fuller_names(corpus, alias, cannot)
    ctx = ShortFormContext.of(corpus, canonical_authors(corpus, res), alias, options_of)

    mention_alias: dict[tuple[str, str], str] = {}
    merged: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    maybe: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    for k, key in enumerate(keys):
        if key in options_of:
            options, method, self_ok = options_of[key], "initials", False
        elif key in fuller:
            options, method, self_ok = sorted(fuller[key]), "middle-name", True
        else:
            continue
        if not options:
            continue
        by_paper: dict[str, list[int]] = defaultdict(list)
        for j in corpus.mentions_of[k]:
            by_paper[corpus.paper_of_listing[j]].append(j)
        for paper, js in sorted(by_paper.items()):
            outcome = decide_mention(corpus, k, options, self_ok, paper, js, ctx)
            on = f"on {_short(corpus.listings[js[0]].title)}: "
            if outcome.attach is not None:
                mention_alias[(paper, key)] = outcome.attach.name
                merged[(key, outcome.attach.name, method)].append(
                    (outcome.attach.score, on + outcome.attach.evidence)
                )
            for c in outcome.possible:
                maybe[(key, c.name, method)].append((c.score, on + c.evidence))
    decisions = _short_form_decisions(corpus, merged, maybe, mention_alias)
    earlier = tuple(
        d
        for d in res.decisions
        if not (d.method in ("initials", "middle-name") and d.kind in ("merge", "possibly-same"))
    )
    return replace(res, mention_alias=mention_alias, decisions=earlier + tuple(decisions))


#: The former name of :func:`attach_short_forms`.
attach_initials = attach_short_forms


def _cannot_links(corpus: Corpus, alias: Mapping[str, str]) -> dict[str, set[str]]:
    """Per name key, the canonical keys a curated cannot-link keeps it from."""
    cannot: dict[str, set[str]] = defaultdict(set)
    for con in corpus.constraints:
        if con.entity == "author" and con.relation == "cannot-link":
            cannot[con.a].add(alias.get(con.b, con.b))
            cannot[con.b].add(alias.get(con.a, con.a))
    return cannot


def initials_options(
    corpus: Corpus, alias: Mapping[str, str], cannot: Mapping[str, set[str]]
) -> dict[str, list[str]]:
    """Per initials key not merged by key, the canonical full names it may stand for."""
    keys = corpus.keys
    # Full names by (first initial, surname), in both orders.
    index: dict[str, set[str]] = defaultdict(set)
    for k, key in enumerate(keys):
        if is_initials(key) or " " not in key or not corpus.mentions_of[k]:
            continue
        tokens = key.split()
        canon = alias.get(key, key)
        index[f"{tokens[0][0]}|{tokens[-1]}"].add(canon)
        index[f"{tokens[-1][0]}|{tokens[0]}"].add(canon)
    options_of: dict[str, list[str]] = {}
    # The full names of one slot, by the initials they give for one surname: the initials
    # forms of a common name ("w zhang", "w j zhang", "zhang w", ...) share them, and testing
    # each form against each full name of its slot grew with the square of the corpus.
    fitting: dict[tuple[str, tuple[str, ...]], dict[str, list[str]]] = {}
    for k, key in enumerate(keys):
        if not is_initials(key) or key in alias or not corpus.mentions_of[k]:
            continue
        given, surname = name_parts(key)
        slot = f"{given[0]}|{surname.split()[-1]}"
        words = tuple(surname.split())
        by_initials = fitting.get((slot, words))
        if by_initials is None:
            by_initials = fitting[(slot, words)] = _by_initials(index.get(slot, ()), words)
        letters = "".join(given)
        options = sorted(
            {
                c
                for full, names in by_initials.items()
                if full[0] == letters[0] and (full.startswith(letters) or letters.startswith(full))
                for c in names
            }
        )
        options_of[key] = [c for c in options if c not in cannot.get(key, ())]
    return options_of


def _by_initials(names: Collection[str], surname: tuple[str, ...]) -> dict[str, list[str]]:
    """``names`` by the initials of their given names where the rest is ``surname`` (in
    either order, as :func:`kg.identity.names.initials_compatible` reads them): a form whose
    letters and those initials are one the prefix of the other fits the name."""
    out: dict[str, list[str]] = defaultdict(list)
    n = len(surname)
    for c in names:
        tokens = c.split()
        if len(tokens) <= n:
            continue
        for given, tail in ((tokens[:-n], tokens[-n:]), (tokens[n:], tokens[:n])):
            if tuple(tail) == surname:
                out["".join(t[0] for t in given)].append(c)
    return dict(out)


def _fuller_names(
    corpus: Corpus, alias: Mapping[str, str], cannot: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """Per full name without a middle name (not merged by key), the fuller names it may be."""
    keys = corpus.keys
    fuller: dict[str, set[str]] = defaultdict(set)
    for (a, b), (_sim, rule) in name_pairs(corpus).items():
        if rule != "middle-name":
            continue
        short, long_ = short_and_long(keys[a], keys[b])
        target = alias.get(long_, long_)
        if short not in alias and target != short and target not in cannot.get(short, ()):
            fuller[short].add(target)
    return fuller


def decide_mention(
    corpus: Corpus,
    k: int,
    options: list[str],
    self_ok: bool,
    paper: str,
    js: list[int],
    ctx: ShortFormContext,
) -> MentionOutcome:
    """Decide the short form ``k`` on ``paper`` (its listings ``js``) among ``options``
    (``self_ok``: it may also stay a person of its own)."""
    cfg = corpus.config
    key = corpus.keys[k]
    options_of, neighbours = ctx.options_of, ctx.neighbours
    paper_listings = listings_of_paper(corpus).get(paper, js)
    others, owners = _context_of(corpus, k, js, ctx)
    # Only candidates the context can support: a co-author, the owner, the paper, the
    # profile. Each option is looked up in the context's sets (no union of large sets).
    if len(options) == 1:
        pool = options
    else:
        near: list[Collection[str]] = [[o for o in owners if o is not None]]
        for x in others:
            near.append(neighbours.get(x, ()))
            if x in options_of and len(options_of[x]) <= cfg.loose_options:
                near.extend(neighbours.get(y, ()) for y in options_of[x])
        near.extend(ctx.canonical[j2] for j2 in listings_of_paper(corpus).get(paper, ()))
        near.extend(ctx.profile_names.get(corpus.listing_source[j], ()) for j in js)
        pool = _reached(options, near)
    candidates = ([key] if self_ok else []) + pool
    scored = _score_short_form(
        corpus, k, candidates, paper, js, others, owners, ctx, paper_listings, two_hop=False
    )
    best, runner = _best_and_runner(scored, key)
    if (
        (best < cfg.initials_evidence or best - runner < cfg.initials_margin)
        and cfg.w_two_hop > 0
        and len(options) <= cfg.loose_options
    ):
        # Nothing decides it: look two hops out (co-authors of co-authors), also at
        # the options the direct context does not reach.
        listed = set(pool)
        candidates = (
            ([key] if self_ok else [])
            + pool
            + [c for c in options if c not in listed and _two_hop_link(ctx, others, c, key)]
        )
        scored = _score_short_form(
            corpus, k, candidates, paper, js, others, owners, ctx, paper_listings, two_hop=True
        )
        best, runner = _best_and_runner(scored, key)
    if not scored or scored[0].score <= 0 or scored[0].name == key:
        return MentionOutcome(None)
    top = scored[0]
    if best >= cfg.initials_evidence and best - runner >= cfg.initials_margin:
        return MentionOutcome(Candidate(best, top.name, top.evidence))
    return MentionOutcome(None, tuple(c for c in scored[:3] if c.score > 0 and c.name != key))


def _reached(options: list[str], near: list[Collection[str]]) -> list[str]:
    """The options (in their order) that some group of ``near`` holds.

    The options of a common initials form ("w zhang") grow with the corpus, the
    context of one mention does not: each group is walked when it is the smaller side
    (or cannot be looked up), so the work is bounded by the context, not by
    options x groups.
    """
    wanted = set(options)
    found: set[str] = set()
    for group in near:
        if isinstance(group, (set, frozenset, dict)) and len(group) > len(wanted):
            found.update(c for c in wanted if c in group)
        else:
            found.update(x for x in group if x in wanted)
        if len(found) == len(wanted):
            break
    return [c for c in options if c in found]


def _short_form_decisions(
    corpus: Corpus,
    merged: Mapping[tuple[str, str, str], list[tuple[float, str]]],
    maybe: Mapping[tuple[str, str, str], list[tuple[float, str]]],
    mention_alias: Mapping[tuple[str, str], str],
) -> list[Decision]:
    """One decision per (short form, name, method): merged on some papers, or possibly
    the same person where some mention of the short form stays its own."""
    keys = corpus.keys
    decisions = []
    display = {keys[i]: corpus.display[i] for i in range(len(keys))}
    for (key, c, method), items in sorted(merged.items()):
        score = sum(s for s, _ in items) / len(items)
        form = "initials form" if method == "initials" else "shorter form"
        evidence = (
            f"{form} of {display.get(c, c)} on {len(items)} paper(s)",
            *[e for _, e in items[:5]],
        )
        decisions.append(
            Decision(
                "merge",
                "author",
                (c, key),
                (display.get(c, c), display[key]),
                method,
                round(score, 3),
                evidence,
            )
        )
    unresolved = _unresolved_short_forms(corpus, mention_alias)
    for (key, c, method), items in sorted(maybe.items()):
        if key not in unresolved:
            continue  # every mention of the short form went elsewhere: no resource to link
        score = max(s for s, _ in items)
        decisions.append(
            Decision(
                "possibly-same",
                "author",
                (key, c),
                (display[key], display.get(c, c)),
                method,
                round(score, 3),
                (
                    f"{display[key]} may be a short form of {display.get(c, c)}",
                    *[e for _, e in items[:5]],
                    "not enough evidence to merge",
                ),
            )
        )
    return decisions


def _score_short_form(
    corpus: Corpus,
    k: int,
    candidates: list[str],
    paper: str,
    listings: list[int],
    others: set[str],
    owners: list[str | None],
    ctx: ShortFormContext,
    paper_listings: list[int],
    *,
    two_hop: bool,
) -> list[Candidate]:
    """Each possible candidate with its score and evidence, best first; on a tie the
    short form itself wins, then the fuller name (more words)."""
    key = corpus.keys[k]
    scored = []
    for c in candidates:
        score, why = _mention_evidence(
            corpus,
            k,
            c,
            paper,
            listings,
            others,
            owners,
            ctx,
            paper_listings,
            is_self=c == key,
            two_hop=two_hop,
        )
        if score >= 0:
            scored.append(Candidate(score, c, why))
    scored.sort(key=lambda t: (-t.score, t.name != key, -len(t.name.split()), t.name))
    return scored


def _two_hop_link(ctx: ShortFormContext, others: set[str], c: str, key: str) -> bool:
    """Has one of ``others`` a co-author in common with ``c`` (outside this paper)?"""
    theirs = ctx.neighbours.get(c)
    if not theirs:
        return False
    for x in others:
        mine = ctx.neighbours.get(x)
        if mine and not mine.isdisjoint(theirs) and (mine & theirs) - others - {c, key}:
            return True
    return False


def _best_and_runner(scored: list[Candidate], key: str) -> tuple[float, float]:
    """The best score and the best rival's. A shorter form of the best name is no rival: it
    is that name or its homonym."""
    if not scored:
        return 0.0, 0.0
    best, c = scored[0].score, scored[0].name
    rivals = [t.score for t in scored[1:] if t.name == key or name_rule(t.name, c) != "middle-name"]
    return best, max(rivals, default=0.0)


def _context_of(
    corpus: Corpus, k: int, listings: list[int], ctx: ShortFormContext
) -> tuple[set[str], list[str | None]]:
    """(canonical co-authors, canonical profile owners) of a mention of key ``k``.

    The owner of a profile is an author of every paper it lists, also when
    "et al." hides them (kg.rdf.map states it too), so a hidden owner counts as a
    co-author.
    """
    others: set[str] = set()
    owners: list[str | None] = []
    key = corpus.keys[k]
    for j in listings:
        pos = corpus.authors[j].index(k)
        names = ctx.canonical[j]
        others.update(names[:pos])
        others.update(names[pos + 1 :])
        owner = corpus.owner[corpus.listing_source[j]]
        owner_key = ctx.alias.get(corpus.keys[owner], corpus.keys[owner]) if owner >= 0 else None
        owners.append(owner_key)
        if owner_key is not None and corpus.listings[j].truncated:
            others.add(owner_key)
    others.discard(key)
    return others, owners


def _unresolved_short_forms(
    corpus: Corpus, mention_alias: Mapping[tuple[str, str], str]
) -> set[str]:
    out = set()
    for k, key in enumerate(corpus.keys):
        if any(
            (corpus.paper_of_listing[j], key) not in mention_alias for j in corpus.mentions_of[k]
        ):
            out.add(key)
    return out


def _short(title: str) -> str:
    return repr(title if len(title) <= 60 else title[:57] + "...")


def _mention_evidence(
    corpus: Corpus,
    k: int,
    c: str,
    paper: str,
    listings: list[int],
    others: set[str],
    owners: list[str | None],
    ctx: ShortFormContext,
    paper_listings: list[int],
    *,
    is_self: bool = False,
    two_hop: bool = False,
) -> tuple[float, str]:
    """Evidence that the short form ``k`` on ``paper`` is the author ``c`` (-1: impossible).

    ``is_self``: ``c`` is the short form's own name (it may be a person of its own).
    ``two_hop``: also count co-authors that share a co-author with ``c``.
    """
    cfg = corpus.config
    key = corpus.keys[k]
    if not is_self:
        mine = {(j, corpus.authors[j].index(k)) for j in listings}
        positions = {pos for _, pos in mine}
        for j in paper_listings:
            names = ctx.canonical[j]
            for pos, name in enumerate(names):
                if name == c and (j, pos) not in mine:
                    if pos in positions:
                        return (
                            cfg.w_same_slot,
                            "written in full at the same position on another listing of the paper",
                        )
                    return -1.0, "both on the author list"
    weights: list[float] = []
    why: list[str] = []
    if not is_self and len(ctx.options_of.get(key, ())) == 1:
        surname = name_parts(key)[1]
        if corpus.surname_count.get(surname, 0) <= cfg.rare_surname:
            weights.append(cfg.w_only_candidate_rare)
            why.append("the only full name in the data that these initials fit, and a rare surname")
        else:
            weights.append(cfg.w_only_candidate)
            why.append("the only full name in the data that these initials fit")
    for j, owner in zip(listings, owners, strict=True):
        if owner == c:
            holder = corpus.sources[corpus.listing_source[j]].owner
            if corpus.listings[j].truncated:
                weights.append(cfg.w_owner_truncated)
                why.append(f"listed by the profile of {holder}")
            else:
                weights.append(cfg.w_owner_complete)
                why.append(
                    f"listed by the profile of {holder}, whose owner must be on this complete list"
                )
            break
    for j in listings:
        # The profile that lists this paper writes c in full on another of its papers (c is
        # not on this listing, or it would be impossible; the short form itself is).
        src = corpus.listing_source[j]
        elsewhere = ctx.profile_names.get(src, Counter()).get(c, 0)
        if is_self:
            elsewhere -= sum(1 for j2 in listings if corpus.listing_source[j2] == src)
        if elsewhere > 0:
            weights.append(cfg.w_same_profile)
            why.append(
                f"written in full on {elsewhere} other paper(s) of the profile "
                f"{corpus.sources[src].source}"
            )
            break
    pool = others - {c}
    if is_self:
        # The short form's own other papers: their co-authors, as written there.
        shared = sorted(_own_circle(corpus, k, listings, ctx).within(pool))
    else:
        shared = sorted(x for x in pool if c in ctx.neighbours.get(x, ()))
    if shared:
        weights.extend([cfg.w_coauthor] * min(len(shared), 4))
        why.append("shared co-author(s): " + ", ".join(shared[:4]))
    if not is_self:
        # Co-authors still written as initials: one of the names they fit works with c.
        loose = sorted(
            x
            for x in pool
            if x in ctx.options_of
            and x not in shared
            and len(ctx.options_of[x]) <= corpus.config.loose_options
            and any(c in ctx.neighbours.get(y, ()) for y in ctx.options_of[x])
        )
        if loose:
            weights.extend([cfg.w_coauthor_initials] * min(len(loose), 3))
            why.append(
                "co-author(s) written as initials that match co-authors: " + ", ".join(loose[:4])
            )
    if two_hop:
        # Co-authors here who have a co-author in common with c elsewhere (one community).
        own = _own_circle(corpus, k, listings, ctx) if is_self else None
        hops = []
        for x in sorted(pool - set(shared)):
            theirs = ctx.neighbours.get(x, set())
            via = own.within(theirs) if own is not None else theirs & ctx.neighbours.get(c, set())
            via -= pool
            via.discard(c)
            via.discard(key)
            if via:
                hops.append(f"{x} (via {min(via)})")
                if len(hops) >= cfg.two_hop_max:
                    break
        if hops:
            weights.extend([cfg.w_two_hop] * len(hops))
            why.append(
                "co-author(s) who have a co-author in common with this name: " + ", ".join(hops)
            )
    return combine(weights), "; ".join(why) or "no evidence"


@dataclass(frozen=True, slots=True)
class OwnCircle:
    """The co-authors of a short form on its papers other than one, as counts: per co-author,
    on how many of the form's listings in all (``total``) and on this paper's (``here``).

    A set per paper, made from all the form's listings, cost the square of its mentions (a
    common name has thousands at 1M papers); the counts of all listings are made once.
    """

    total: Counter[str]
    here: Counter[str]

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, str):
            return False
        return self.total.get(x, 0) > self.here.get(x, 0)

    def within(self, group: Collection[str]) -> set[str]:
        """The members of ``group`` in the circle (walking the smaller side)."""
        if len(group) <= len(self.total) or not isinstance(group, (set, frozenset, dict)):
            return {x for x in group if x in self}
        return {x for x in self.total if x in group and x in self}


def _own_circle(corpus: Corpus, k: int, listings: list[int], ctx: ShortFormContext) -> OwnCircle:
    """The co-authors of the short form ``k`` on its papers other than the one of
    ``listings`` (all the form's listings of that paper)."""
    total = ctx.circles.get(k)
    if total is None:
        total = ctx.circles[k] = _coauthor_counts(corpus, k, corpus.mentions_of[k], ctx)
    return OwnCircle(total, _coauthor_counts(corpus, k, listings, ctx))


def _coauthor_counts(
    corpus: Corpus, k: int, listings: list[int], ctx: ShortFormContext
) -> Counter[str]:
    key = corpus.keys[k]
    counts: Counter[str] = Counter()
    for j in listings:
        counts.update({x for x in ctx.canonical[j] if x != key})
    return counts
