"""The indexed input of resolution (:class:`Corpus`) and what the steps share.

:func:`build_corpus` numbers listings and name keys once; the helpers below read
the corpus (canonical authors under a resolution, candidate name pairs, listings
per paper) or combine evidence, for every step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from kg.identity.blocking import NAME_PARTNERS, blocking_keys, pairs_from_blocks
from kg.identity.names import is_initials, lookalike, name_rule
from kg.identity.records import Constraint, Listing, Resolution, ResolveConfig, SourceSummary
from kg.normalize import name_key, title_key


@dataclass
class Corpus:
    """The indexed input of resolution (built once by :func:`build_corpus`).

    Listings are numbered 0..n-1; name keys are numbered too (``keys``), and
    each listing's visible authors are key numbers (``authors``).
    """

    sources: tuple[SourceSummary, ...]
    listings: list[Listing]
    listing_source: list[int]
    title_keys: list[str]
    keys: list[str]
    key_index: dict[str, int]
    authors: list[tuple[int, ...]]
    owner: list[int]  # per source: owner key number or -1
    mentions_of: list[list[int]]  # per key: listing numbers
    display: list[str]  # per key: the most frequent written form
    pinned_authors: frozenset[str]
    pinned_papers: frozenset[str]
    constraints: tuple[Constraint, ...]
    config: ResolveConfig
    blocking: Callable[[str], set[str]] = blocking_keys
    #: Filled by merge_papers: the canonical paper key of each listing.
    paper_of_listing: list[str] = field(default_factory=list)
    #: Candidate pairs of full-name keys with similarity and name rule, computed once.
    name_pairs: dict[tuple[int, int], tuple[float, str | None]] | None = None
    #: Per canonical paper key, its listings (computed once).
    listings_of_paper: dict[str, list[int]] | None = None
    #: Per surname, how many distinct full-name keys carry it.
    surname_count: dict[str, int] = field(default_factory=dict)
    #: Per set of name words (order ignored), how many distinct keys are made of it.
    word_sets: dict[str, int] = field(default_factory=dict)
    #: Per title key, the abstract head of its first listing that has one: all that
    #: :func:`~kg.identity.papers.merge_papers` reads of abstracts, and it empties this when
    #: done (the listings hold none: abstracts were about 45 % of the summaries' memory, held
    #: through every later step).
    abstracts: dict[str, str] = field(default_factory=dict)


def build_corpus(
    sources: Iterable[SourceSummary],
    *,
    pinned_authors: Iterable[str] = (),
    pinned_papers: Iterable[str] = (),
    constraints: Iterable[Constraint] = (),
    config: ResolveConfig | None = None,
    blocking: Callable[[str], set[str]] = blocking_keys,
    abstracts: Iterable[tuple[str, Sequence[str]]] = (),
) -> Corpus:
    """Index summaries for resolution (name and title keys computed once per distinct string).

    Sources are taken in the order of their names and listings in the order of their
    titles, so that the outcome does not depend on where the summaries came from
    (files or the store) nor on the order they came in.

    ``abstracts`` gives, per source name, the abstract heads of its listings in the order of
    its summary's listings, for summaries whose listings hold none (a listing's own abstract
    counts where it has one). It is read once: an iterator that gives its pairs up as it goes
    leaves no copy behind. The corpus's listings hold no abstract (see :attr:`Corpus.abstracts`).
    """
    heads_of = dict(abstracts)
    first_abstract: dict[str, str] = {}
    by_title: dict[str, str] = {}

    def slim(src: SourceSummary) -> SourceSummary:
        """The source with its listings in order and without abstracts, which go to
        ``first_abstract`` (the first of each title key in the corpus's order)."""
        heads = heads_of.pop(src.source, ())
        order = sorted(range(len(src.listings)), key=lambda i: _listing_order(src.listings[i]))
        kept = []
        for i in order:
            listing = src.listings[i]
            head = listing.abstract or (heads[i] if i < len(heads) else "")
            if listing.abstract:
                listing = replace(listing, abstract="")
            if head:
                tk = by_title.get(listing.title)
                if tk is None:
                    tk = by_title[listing.title] = title_key(listing.title)
                first_abstract.setdefault(tk, head)
            kept.append(listing)
        return replace(src, listings=tuple(kept))

    srcs = tuple(slim(src) for src in sorted(sources, key=lambda s: s.source))
    heads_of.clear()  # sources without a summary: nothing to keep
    listings: list[Listing] = []
    listing_source: list[int] = []
    title_keys: list[str] = []
    keys: list[str] = []
    key_index: dict[str, int] = {}
    by_name: dict[str, int] = {}
    authors: list[tuple[int, ...]] = []
    written: list[Counter[str]] = []
    owners: list[int] = []

    def key_of(name: str) -> int:
        hit = by_name.get(name)
        if hit is None:
            k = name_key(name)
            hit = key_index.get(k)
            if hit is None:
                hit = key_index[k] = len(keys)
                keys.append(k)
                written.append(Counter())
            by_name[name] = hit
        return hit

    for s_index, src in enumerate(srcs):
        owners.append(key_of(src.owner) if src.owner else -1)
        if src.owner:
            written[owners[-1]][src.owner] += 1
        for listing in src.listings:
            listings.append(listing)
            listing_source.append(s_index)
            tk = by_title.get(listing.title)
            if tk is None:
                tk = by_title[listing.title] = title_key(listing.title)
            title_keys.append(tk)
            ids = []
            for name in listing.authors:
                k = key_of(name)
                written[k][name] += 1
                ids.append(k)
            authors.append(tuple(ids))
    mentions_of: list[list[int]] = [[] for _ in keys]
    for j, listed in enumerate(authors):
        for k in listed:
            mentions_of[k].append(j)
    display = [
        min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else k
        for c, k in zip(written, keys, strict=True)
    ]
    surname_count: Counter[str] = Counter()
    for key in keys:
        if " " in key and not is_initials(key):
            tokens = key.split()
            surname_count[tokens[-1]] += 1
            if len(tokens) > 2:  # "van der berg": the particle surname too
                surname_count[" ".join(tokens[1:])] += 1
    corpus = Corpus(
        srcs,
        listings,
        listing_source,
        title_keys,
        keys,
        key_index,
        authors,
        owners,
        mentions_of,
        display,
        frozenset(pinned_authors),
        frozenset(pinned_papers),
        tuple(constraints),
        config or ResolveConfig(),
        blocking,
    )
    corpus.surname_count = dict(surname_count)
    corpus.word_sets = dict(Counter(word_set(k) for k in keys))
    corpus.abstracts = first_abstract
    return corpus


def word_set(key: str) -> str:
    return " ".join(sorted(key.split()))


Step = Callable[[Corpus, Resolution], Resolution]


def _listing_order(listing: Listing) -> tuple[str, str, tuple[str, ...], bool]:
    return (
        listing.title,
        listing.date.isoformat() if listing.date else "",
        listing.authors,
        listing.truncated,
    )


def canonical_authors(corpus: Corpus, res: Resolution) -> list[tuple[str, ...]]:
    """Per listing, the canonical author key of each visible author under ``res``."""
    keys, alias, by_mention = corpus.keys, res.author_alias, res.mention_alias
    out: list[tuple[str, ...]] = []
    for j, ids in enumerate(corpus.authors):
        if by_mention:
            paper = corpus.paper_of_listing[j]
            out.append(
                tuple(by_mention.get((paper, keys[k])) or alias.get(keys[k], keys[k]) for k in ids)
            )
        else:
            out.append(tuple(alias.get(keys[k], keys[k]) for k in ids))
    return out


def combine(weights: Iterable[float]) -> float:
    rest = 1.0
    for w in weights:
        rest *= 1.0 - w
    return 1.0 - rest


def curation_evidence(c: Constraint) -> tuple[str, ...]:
    where = f"curated in {c.origin}" if c.origin else "curated"
    return (f"{where}: {c.note}",) if c.note else (where,)


def name_pairs(corpus: Corpus) -> dict[tuple[int, int], tuple[float, str | None]]:
    """Candidate pairs of full-name keys (key numbers) from blocking, with their similarity
    and name rule (None: no rule, but they look alike, :func:`kg.identity.names.lookalike`,
    and one profile writes both); computed once per corpus."""
    if corpus.name_pairs is None:
        cfg = corpus.config
        keys = corpus.keys
        sources: dict[int, set[int]] = {}

        def sources_of(k: int) -> set[int]:
            hit = sources.get(k)
            if hit is None:
                hit = sources[k] = {corpus.listing_source[j] for j in corpus.mentions_of[k]}
            return hit

        full = [i for i, k in enumerate(keys) if " " in k and not is_initials(k)]

        def wanted(x: int, y: int) -> bool:
            # A pair that no rule joins matters only as a "distinct" look-alike, recorded
            # only where a reader could confuse them: on one profile. Most pairs in a crowded
            # block are neither; their number grows with the square of the name density
            # (543,187 pairs at 300k papers for 39,179 kept): blocking leaves them out as it
            # goes, and every step would walk them again.
            return name_rule(keys[full[x]], keys[full[y]]) is not None or not sources_of(
                full[x]
            ).isdisjoint(sources_of(full[y]))

        pairs = pairs_from_blocks(
            [keys[i] for i in full],
            corpus.blocking,
            cfg.name_candidate_cutoff,
            cfg.max_block,
            fuzz.token_sort_ratio,
            wanted=wanted,
            partners=NAME_PARTNERS,
        )
        out: dict[tuple[int, int], tuple[float, str | None]] = {}
        for (x, y), sim in pairs.items():
            a, b = keys[full[x]], keys[full[y]]
            rule = name_rule(a, b)
            if rule is not None or lookalike(a, b, sim) is not None:
                out[(full[x], full[y])] = (sim, rule)
        corpus.name_pairs = out
    return corpus.name_pairs


def listings_of_paper(corpus: Corpus) -> dict[str, list[int]]:
    if corpus.listings_of_paper is None:
        out: dict[str, list[int]] = defaultdict(list)
        for j, paper in enumerate(corpus.paper_of_listing):
            out[paper].append(j)
        corpus.listings_of_paper = dict(out)
    return corpus.listings_of_paper
