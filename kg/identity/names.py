"""Name rules: when two name keys may be one person's name, and initials forms.

Pure functions of name keys (:func:`kg.normalize.name_key`), no corpus: the rules
that :mod:`kg.identity.authors` and :mod:`kg.identity.short_forms` apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# --- names ----------------------------------------------------------------------

#: Given-name spellings that are one name in different transliterations.
TRANSLITERATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "aleksandr alexander aleksander alexandr",
        "alexei alexey aleksei aleksey",
        "andrei andrey",
        "dmitri dmitry dmitrii",
        "evgeny evgenii yevgeny",
        "mikhail mihail",
        "nikolai nikolay",
        "sergei sergey sergej",
        "yuri yury yurii iurii",
        "natalia natalya nataliya",
        "tatiana tatyana",
        "ekaterina yekaterina",
        "mohammed mohammad muhammad mohamed",
        "ahmed ahmad",
        "hussein husain hussain",
        "jurgen juergen",
        "muller mueller",
        "schroder schroeder",
        "gunther guenther",
    )
)
TRANSLIT_GROUP: dict[str, int] = {
    name: i for i, group in enumerate(TRANSLITERATIONS) for name in group
}


@lru_cache(maxsize=1 << 20)
def name_parts(key: str) -> tuple[tuple[str, ...], str]:
    """(given tokens, surname) of a name key.

    Leading initials keep the rest as the surname ("e van der berg" -> (e,),
    "van der berg"); "smith j r" is read surname-first; otherwise the last
    token is the surname.
    """
    tokens = key.split()
    if len(tokens) < 2:
        return (), key
    if len(tokens[0]) == 1:
        for i, t in enumerate(tokens):
            if len(t) > 1:
                return tuple(tokens[:i]), " ".join(tokens[i:])
        return tuple(tokens[:-1]), tokens[-1]
    if all(len(t) == 1 for t in tokens[1:]):
        return tuple(tokens[1:]), tokens[0]
    return tuple(tokens[:-1]), tokens[-1]


def _signatures(key: str) -> set[tuple[str, str]]:
    """(compact given names, surname) in both orders: names that share one are one name."""
    tokens = key.split()
    if len(tokens) < 2:
        return {("", key)}
    return {("".join(tokens[:-1]), tokens[-1]), ("".join(tokens[1:]), tokens[0])}


def contradicts(a: str, b: str) -> bool:
    """True when two full name keys cannot be one person's names, even through other
    variants ("aisha ali farouk" / "aisha omar farouk", "wei zhang" / "wen zhang")."""
    return not (a == b or name_rule(a, b) is not None or _signatures(a) & _signatures(b))


@lru_cache(maxsize=1 << 20)
def is_initials(key: str) -> bool:
    """True for a name key whose given names are all initials ("j smith", "j r smith", "smith j")."""
    given, surname = name_parts(key)
    return bool(given) and len(surname) > 1 and all(len(t) == 1 for t in given)


def _token_variant(a: str, b: str) -> str | None:
    """How two different tokens may be one name token: "typo", "transliteration" or None."""
    ta, tb = TRANSLIT_GROUP.get(a), TRANSLIT_GROUP.get(b)
    if ta is not None and ta == tb:
        return "transliteration"
    if min(len(a), len(b)) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1:
        # Five-letter tokens one edit apart are often two real names (shuye / shuyue).
        return "typo" if min(len(a), len(b)) >= 6 else "short-typo"
    return None


def name_rule(a: str, b: str) -> str | None:
    """The rule by which two *full* name keys may be one person's name, or None.

    ``"spacing"`` (yi fan zhang / yifan zhang), ``"order-swap"`` (zhang wei /
    wei zhang), ``"middle-name"`` (john r smith / john smith), ``"typo"`` (one
    token one edit apart, both at least 6 letters; ``"short-typo"`` for 5) or ``"transliteration"``
    (aleksandr / alexander). A given name that is a prefix of the other
    (kai / kaipeng) is *not* a rule: those are different names.

    >>> name_rule("kai zheng", "kaipeng zheng") is None
    True
    >>> name_rule("wei lin", "wei liu") is None
    True
    """
    if a == b:
        return None
    ta, tb = a.split(), b.split()
    if "".join(ta) == "".join(tb) and (ta[-1] == tb[-1] or ta[0] == tb[0]):
        return "spacing"  # the same letters, split otherwise inside the given name
    if len(ta) == len(tb) and sorted(ta) == sorted(tb):
        return "order-swap"
    if len(ta) == len(tb):
        for oa, ob in ((ta, tb), (ta, tb[::-1])) if len(ta) == 2 else ((ta, tb),):
            diff = [(x, y) for x, y in zip(oa, ob, strict=True) if x != y]
            if len(diff) == 1:
                rule = _token_variant(*diff[0])
                if rule:
                    return rule
            if len(diff) == 0:
                return "order-swap"
        # middle initial vs middle name: "john r smith" / "john robert smith"
        if len(ta) >= 3 and ta[0] == tb[0] and ta[-1] == tb[-1]:
            mids = list(zip(ta[1:-1], tb[1:-1], strict=True))
            if all(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x, y in mids):
                return "middle-name"
        return None
    short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    if len(short) >= 2 and short[0] == long_[0] and short[-1] == long_[-1]:
        return "middle-name"
    return None


def lookalike(a: str, b: str, sim: float) -> str | None:
    """Why two keys that no rule joins still look alike (for a "distinct" record), or None.

    ``sim`` is their similarity from blocking, in [0, 1].
    """
    ga, sa = name_parts(a)
    gb, sb = name_parts(b)
    if sa == sb and ga and gb and ga[0] != gb[0] and ga[0][0] == gb[0][0]:
        x, y = sorted((ga[0], gb[0]), key=len)
        if len(x) > 1 and y.startswith(x):
            return f"the given name {x!r} is a prefix of {y!r}, a different name"
    if sim >= 0.85 and not (sa == sb and ga == gb):
        return "the names differ by a letter or two in a short name, which is a different name"
    return None


def initials_compatible(initials_key: str, full_key: str) -> bool:
    """Can the initials form stand for the full name? ("j r smith" / "john robert smith",
    "e van der berg" / "elizabeth van der berg", "zhang w" / "wei zhang")."""
    gi, si = name_parts(initials_key)
    if not gi:
        return False
    letters = "".join(gi)
    surname = si.split()
    tokens = full_key.split()
    n = len(surname)
    if len(tokens) <= n:
        return False
    for given, tail in ((tokens[:-n], tokens[-n:]), (tokens[n:], tokens[:n])):
        if tail != surname:
            continue
        full = "".join(t[0] for t in given)
        if (
            full
            and full[0] == letters[0]
            and (full.startswith(letters) or letters.startswith(full))
        ):
            return True
    return False


def short_and_long(a: str, b: str) -> tuple[str, str]:
    """Of two middle-name variants, (the shorter form, the fuller one)."""
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb):
        return (a, b) if len(ta) < len(tb) else (b, a)
    return (a, b) if sum(map(len, ta)) < sum(map(len, tb)) else (b, a)


class RuleOrLookalike:
    """Which pairs of full name keys a name rule or :func:`lookalike` might hold for, tested
    on many pairs at once (numpy): a *necessary* condition of ``name_rule(a, b) is not None
    or lookalike(a, b, sim) is not None`` for every score ``sim`` blocking can give, so the
    pairs it refuses need no call to either.

    Blocking yields many pairs that neither holds ("khalid hassan" / "khalid haddad"), and
    their number grows with the square of the name density (about 540,000 at 300k papers, a
    Python call each); the few it lets through are decided by the rules themselves.

    What a rule needs (see :func:`name_rule`): the same letters or the same words (spacing,
    order swap), the same first and last words (middle name), or the same number of words of
    which exactly one differs, by one edit in a word of at least five letters or by a
    transliteration (typo, transliteration; a two-word name read in either order). A
    look-alike needs the same surname with one first given name the other's beginning, or a
    score of at least 0.85 (before rounding, 84.5 of the better of ``ratio`` and
    ``token_sort_ratio``).
    """

    #: Names of more words than this are always let through (there are few).
    WIDTH = 6

    def __init__(self, names: Sequence[str]) -> None:
        words: dict[str, int] = {}
        forms: dict[str, int] = {}
        n = len(names)
        self._names = names
        self._tokens = np.full((n, self.WIDTH), -1, dtype=np.int64)
        self._count = np.zeros(n, dtype=np.int64)
        self._compact = np.zeros(n, dtype=np.int64)
        self._sorted = np.zeros(n, dtype=np.int64)
        self._surname = np.zeros(n, dtype=np.int64)
        for i, name in enumerate(names):
            tokens = name.split()
            self._count[i] = len(tokens)
            for p, t in enumerate(tokens[: self.WIDTH]):
                self._tokens[i, p] = words.setdefault(t, len(words))
            self._compact[i] = forms.setdefault("c " + "".join(tokens), len(forms))
            self._sorted[i] = forms.setdefault("s " + " ".join(sorted(tokens)), len(forms))
            self._surname[i] = forms.setdefault("n " + name_parts(name)[1], len(forms))
        self._given = np.array([name_parts(name)[0][:1] or ("",) for name in names]).ravel()
        self._words = list(words)
        self._length = np.array([len(w) for w in self._words], dtype=np.int64)
        self._group = np.array([TRANSLIT_GROUP.get(w, -1) for w in self._words], dtype=np.int64)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair (``a[k]``, ``b[k]``): whether a rule or a look-alike might hold."""
        ta, tb = self._tokens[a], self._tokens[b]
        na, nb = self._count[a], self._count[b]
        last_a = ta[np.arange(len(a)), np.minimum(na, self.WIDTH) - 1]
        last_b = tb[np.arange(len(b)), np.minimum(nb, self.WIDTH) - 1]
        keep: np.ndarray = (
            (na > self.WIDTH)
            | (nb > self.WIDTH)
            | (self._compact[a] == self._compact[b])
            | (self._sorted[a] == self._sorted[b])
            | ((ta[:, 0] == tb[:, 0]) & (last_a == last_b))
        )
        surname = ~keep & (self._surname[a] == self._surname[b])
        keep |= surname & self._prefix(a, b, surname)
        same = na == nb
        differ = ta != tb
        one = same & (differ.sum(axis=1) == 1)
        at = np.argmax(differ, axis=1)
        rows = np.arange(len(a))
        xs, ys = ta[rows, at], tb[rows, at]
        # A two-word name read the other way round: one of the crossed words the same.
        two = same & (na == 2)
        cross1 = two & (ta[:, 0] == tb[:, 1]) & (ta[:, 1] != tb[:, 0])
        cross2 = two & (ta[:, 1] == tb[:, 0]) & (ta[:, 0] != tb[:, 1])
        xs = np.where(cross1, ta[:, 1], np.where(cross2, ta[:, 0], xs))
        ys = np.where(cross1, tb[:, 0], np.where(cross2, tb[:, 1], ys))
        variant = (one | cross1 | cross2) & ~keep
        keep |= variant & self._variant(xs, ys, variant)
        todo = np.flatnonzero(~keep)
        if len(todo):
            names = self._names
            left = [names[i] for i in a[todo].tolist()]
            right = [names[i] for i in b[todo].tolist()]
            score = np.maximum(
                process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float64),
                process.cpdist(left, right, scorer=fuzz.token_sort_ratio, dtype=np.float64),
            )
            keep[todo] = score >= 84.0  # 84.5 rounds to 0.85; a margin against float error
        return keep

    def _prefix(self, a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Whether one first given name is a longer one's beginning ("kai" / "kaipeng"),
        where ``mask`` (the look-alike of one surname, :func:`lookalike`)."""
        out = np.zeros(len(a), dtype=bool)
        idx = np.flatnonzero(mask)
        if not len(idx):
            return out
        x, y = self._given[a[idx]], self._given[b[idx]]
        lx, ly = np.char.str_len(x), np.char.str_len(y)
        short, long_ = np.where(lx <= ly, x, y), np.where(lx <= ly, y, x)
        out[idx] = (x != y) & (np.minimum(lx, ly) > 1) & np.char.startswith(long_, short)
        return out

    def _variant(self, xs: np.ndarray, ys: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Whether the words ``xs[k]`` / ``ys[k]`` (where ``mask``) may be one word: one
        transliteration group, or one edit apart with both at least five letters."""
        out = np.zeros(len(xs), dtype=bool)
        idx = np.flatnonzero(mask)
        if not len(idx):
            return out
        x, y = xs[idx], ys[idx]
        gx = self._group[x]
        out[idx] = (gx >= 0) & (gx == self._group[y])
        long_ = idx[np.minimum(self._length[x], self._length[y]) >= 5]
        if len(long_):
            words = self._words
            dist = process.cpdist(
                [words[w] for w in xs[long_].tolist()],
                [words[w] for w in ys[long_].tolist()],
                scorer=OSA.distance,
                score_cutoff=1,
            )
            out[long_] |= dist <= 1
        return out
