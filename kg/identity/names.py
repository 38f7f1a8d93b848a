"""Name rules: when two name keys may be one person's name, and initials forms.

Pure functions of name keys (:func:`kg.normalize.name_key`), no corpus: the rules
that :mod:`kg.identity.authors` and :mod:`kg.identity.short_forms` apply.
"""

from __future__ import annotations

from functools import lru_cache

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
