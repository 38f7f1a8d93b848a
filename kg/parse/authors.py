"""Author lines: the name grammar, and the title/author split of glued (layout B) lines.

:func:`parse_author_line` reads ``NAME (", " NAME)* [" et al."] [" · " TAG (", " TAG)*]``;
:func:`split_glued_line` finds where a title glued to its author list ends, with the
known-author index (:class:`_KnownNames`) as the fallback (PROFILE_FORMAT.md section 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kg.parse.text import _nfc

#: An author line longer than this is not tried as an author line at all.
_MAX_AUTHOR_LINE = 10_000
#: Longest name token / most tokens per name the author grammar accepts.
_MAX_TOKEN = 40
_MAX_NAME_TOKENS = 8

_MIDDOT = "\u00b7"  # separator before affiliation tags: "A B, C D et al. · tsinghua"

# Split candidates: an upper-case letter right after a letter, a digit or closing
# punctuation (never after a space or a hyphen). Non-ASCII matches are checked with
# str.isupper() so that É, Ç, Ø count. Consuming the letter first (then looking back
# two characters) lets the regex engine skip ahead to capitals: twice as fast.
_CANDIDATE = re.compile(r"(?:[A-Z]|[^\x00-\x7f])(?<=(?:[^\W_]|[.?!)\]}\"'\u2019\u201d]).)")
_TAGS = re.compile(r"[a-z0-9][a-z0-9._&-]*(?:, [a-z0-9][a-z0-9._&-]*)*")
_COMMA_WS = re.compile(r"\s*,\s*")
_SEPARATORS = re.compile("[,\u00b7]")
_MIDDOT_WS = re.compile(r"\s*\u00b7\s*")

# --- the name grammar of author lines --------------------------------------

# Lower-case particles allowed inside (never first or last in) a name: "van der".
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "do",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "zur",
        "bin",
        "binti",
        "ibn",
        "al",
        "el",
        "y",
        "e",
        "af",
        "av",
    ]
)
_NAME_SUFFIXES = frozenset({"Jr.", "Sr.", "II", "III", "IV"})
# Surname prefixes after which one internal capital is allowed: McDonald, DeAndre, LeBlanc.
_NAME_PREFIXES = frozenset(
    {"Mc", "Mac", "De", "Di", "Da", "Du", "La", "Le", "Van", "Von", "Del", "Des", "Fitz"}
)
_APOSTROPHES = re.compile("['\u2019]")
_PLAIN_TOKEN = re.compile(r"[A-Z][a-z]+")
# Fast path: the common all-ASCII author line, a strict subset of what the general
# grammar (_name_at) accepts, so that either test gives the same answer on it.
_PLAIN_NAME = r"[A-Z][a-z]{1,39}"
_PLAIN_AUTHOR_LINE = re.compile(
    rf"{_PLAIN_NAME}(?: {_PLAIN_NAME}){{1,7}}(?:, {_PLAIN_NAME}(?: {_PLAIN_NAME}){{0,7}})*"
    r"(?: et al\.)?(?: \u00b7 [a-z0-9][a-z0-9._&-]*(?:, [a-z0-9][a-z0-9._&-]*)*)?"
)

_NAME, _PARTICLE, _SUFFIX = 1, 2, 3
_COMMA, _END = 0, 1


def _capitalised(word: str, allow_initial: bool) -> bool:
    """``Zhao``, ``Núñez``, ``McDonald``; a lone capital only before an apostrophe (O')."""
    if not word or not word[0].isupper():
        return False
    rest = word[1:]
    if not rest:
        return allow_initial
    if rest.isalpha() and rest.islower():
        return True
    # One internal capital, only after a known surname prefix.
    for k, ch in enumerate(rest, 1):
        if ch.isupper():
            tail = word[k + 1 :]
            return word[:k] in _NAME_PREFIXES and tail.isalpha() and tail.islower()
        if not ch.isalpha():
            return False
    return False


def _token_kind(word: str) -> int | None:
    """Classify one space-separated token of a person name, or None if it can't be one."""
    if not word or len(word) > _MAX_TOKEN:
        return None
    if _PLAIN_TOKEN.fullmatch(word):  # fast path: "Zhao"
        return _NAME
    if word in _PARTICLES:
        return _PARTICLE
    if word in _NAME_SUFFIXES:
        return _SUFFIX
    first = word[0]
    if first.isupper():
        if word[-1] == ".":  # initials: "J." or "J.R."
            parts = word[:-1].split(".")
            return _NAME if all(len(p) == 1 and p.isupper() for p in parts) else None
        for part in word.split("-"):
            pieces = _APOSTROPHES.split(part)
            if not all(_capitalised(p, allow_initial=True) for p in pieces[:-1]):
                return None
            if not _capitalised(pieces[-1], allow_initial=False):
                return None
        return _NAME
    # Scripts without case (e.g. CJK): letters only.
    if word.isalpha() and word.lower() == word.upper():
        return _NAME
    return None


def _tail_ok(s: str, pos: int) -> bool:
    """After ``et al.``: the end of the line or `` · tag, tag``."""
    if pos == len(s):
        return True
    return s.startswith(" " + _MIDDOT + " ", pos) and _TAGS.fullmatch(s, pos + 3) is not None


def _name_at(s: str, p: int, first: bool) -> tuple[int, int] | None:
    """Read one NAME starting at ``p``; return (_COMMA, next name) or (_END, len) or None.

    Work is bounded by _MAX_NAME_TOKENS * _MAX_TOKEN characters, whatever the length of
    ``s``, so that scanning many split candidates stays linear.
    """
    n = len(s)
    need = 2 if first else 1
    count = 0
    last_particle = False
    q = p
    while True:
        e = s.find(" ", q, q + _MAX_TOKEN + 2)
        if e < 0:
            if n - q > _MAX_TOKEN + 1:
                return None
            e = n
        tok = s[q:e]
        if tok == "et":  # "et al." (also "et al"), then end or " · tags"
            if s.startswith("al.", e + 1):
                after = e + 4
            elif s.startswith("al", e + 1) and (e + 3 == n or s[e + 3] == " "):
                after = e + 3
            else:
                return None
            if count == 0 and first:
                return None
            if count and (count < need or last_particle):
                return None
            return (_END, n) if _tail_ok(s, after) else None
        if tok == _MIDDOT:
            if count < need or last_particle or e == n:
                return None
            return (_END, n) if _TAGS.fullmatch(s, e + 1) else None
        comma = tok.endswith(",")
        kind = _token_kind(tok[:-1] if comma else tok)
        if kind is None or (count == 0 and kind != _NAME):
            return None
        count += 1
        if count > _MAX_NAME_TOKENS:
            return None
        last_particle = kind == _PARTICLE
        if comma or e == n:
            if count < need or last_particle:
                return None
            if not comma:
                return (_END, n)
            if e == n:
                return None  # trailing comma
            return (_COMMA, e + 1)
        q = e + 1


def _author_line_ok(s: str, start: int, memo: dict[int, bool]) -> bool:
    """Does ``s[start:]`` parse as an author line? Memoised per name start: linear overall."""
    step = _name_at(s, start, True)
    if step is None:
        return False
    path: list[int] = []
    result = True
    while step[0] == _COMMA:
        p = step[1]
        if p in memo:
            result = memo[p]
            break
        path.append(p)
        nxt = _name_at(s, p, False)
        if nxt is None:
            result = False
            break
        step = nxt
    for p in path:
        memo[p] = result
    return result


def _may_be_author_line(text: str) -> bool:
    """Cheap, sound pre-test: can the first two words start an author line?

    The first NAME has two or more tokens, so the first word must be a name token
    with no comma, and the second must begin with a name token or particle. Commas
    and the middle dot are split off first, so the whitespace and comma normalisation
    of a real author line cannot turn a rejected line into an accepted one. Rejects
    almost every abstract before the (costlier) normalisation of the whole line.
    """
    window = 4 * _MAX_TOKEN
    words = text[:window].split(None, 2)
    if len(words) < 3 and len(text) > window:
        return True  # the window may have cut a word: no conclusion
    if len(words) < 2 or "," in words[0] or _MIDDOT in words[0]:
        return False
    if _token_kind(_nfc(words[0])) != _NAME:
        return False
    second = _SEPARATORS.split(_nfc(words[1]), 1)[0]
    return _token_kind(second) in (_NAME, _PARTICLE, _SUFFIX)


def _normalise_author_text(text: str) -> str:
    """Collapse odd whitespace, then spaces around commas and the middle dot.

    Each rewrite runs only when a cheap C-level test says it is needed: this runs on
    every second body line, which in layout B is a whole abstract.
    """
    s = text.strip()
    if "  " in s or not s.isprintable():  # tabs, NBSP, double spaces
        s = " ".join(s.split())
    if " ," in s or s.count(",") != s.count(", "):
        s = _COMMA_WS.sub(", ", s)
    if _MIDDOT in s and s.count(_MIDDOT) != s.count(" " + _MIDDOT + " "):
        s = _MIDDOT_WS.sub(" " + _MIDDOT + " ", s)
    return s


def _author_fields(s: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """Cut a validated, normalised author line into names, et-al flag and tags."""
    head, sep, tail = s.partition(" " + _MIDDOT + " ")
    truncated = False
    for marker in (", et al.", ", et al", " et al.", " et al"):
        if head.endswith(marker):
            head = head[: -len(marker)]
            truncated = True
            break
    return tuple(head.split(", ")), truncated, tuple(tail.split(", ")) if sep else ()


def _lenient_authors(text: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
    """Cut an author text that is *not* well-formed (known-author fallback) as best we can."""
    head, sep, tail = _normalise_author_text(text).partition(" " + _MIDDOT + " ")
    tags = tuple(t for t in (x.strip() for x in tail.split(",")) if t) if sep else ()
    truncated = False
    for marker in (", et al.", ", et al", " et al.", " et al"):
        if head.endswith(marker):
            head = head[: -len(marker)]
            truncated = True
            break
    names = tuple(n for n in (x.strip() for x in head.split(",")) if n)
    return names, truncated, tags


def parse_author_line(text: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]] | None:
    """Parse ``NAME (", " NAME)* [" et al."] [" · " TAG (", " TAG)*]``.

    Returns ``(names, truncated, tags)``, or None when ``text`` is not an author
    line (a title, an abstract, ``Liu et al. (2024)`` inside prose, ...). Runs of
    whitespace and spaces around commas are tolerated. Never raises.

    >>> parse_author_line("Ada Quill, Bo Rennet, Cy Dunmore et al. · pku, mit")
    (('Ada Quill', 'Bo Rennet', 'Cy Dunmore'), True, ('pku', 'mit'))
    >>> parse_author_line("We follow Liu et al. (2024).") is None
    True
    """
    if len(text) > _MAX_AUTHOR_LINE:
        return None
    s = text.strip()
    if _PLAIN_AUTHOR_LINE.fullmatch(s):  # fast path: already well-formed and ASCII
        return _author_fields(s)
    if not _may_be_author_line(s):
        return None
    s = _normalise_author_text(s)
    if not _PLAIN_AUTHOR_LINE.fullmatch(s):
        s = _nfc(s)  # decomposed "Rene\u0301e" -> "Renée" before testing letters
        if not _author_line_ok(s, 0, {}):
            return None
    return _author_fields(s)


# --- layout B: title and authors glued on one line -------------------------


@dataclass(frozen=True, slots=True)
class _Split:
    title: str
    authors: str
    method: str
    alternatives: tuple[int, ...] = ()  # other valid split offsets (ambiguity)


class _KnownNames:
    """Known author names, indexed once per page for the known-author fallback.

    A name can only start at a split candidate ``i`` and end where ``", "``,
    ``" et al"``, ``" · "`` or the end of the line follows: at most two places per
    space-separated token. So each candidate costs a few set look-ups over at most
    ``max_tokens`` tokens (bounded: a name has at most _MAX_NAME_TOKENS tokens), not
    one comparison per known name sharing its first word, and the index is built once
    per page, not once per glued line (issue 15 item 4: both made the parse quadratic).
    Names longer than the author grammar allows never anchor a split.
    """

    __slots__ = ("firsts", "max_chars", "max_tokens", "names")

    def __init__(self, names: Iterable[str]) -> None:
        kept = set()
        firsts = set()
        longest = tokens = 0
        for name in names:
            first = name.split(" ", 1)[0]
            count = name.count(" ") + 1
            if not first or len(first) > _MAX_TOKEN or count > _MAX_NAME_TOKENS:
                continue
            if len(name) > _MAX_NAME_TOKENS * (_MAX_TOKEN + 1):
                continue
            kept.add(name)
            firsts.add(first)
            longest = max(longest, len(name))
            tokens = max(tokens, count)
        self.names = frozenset(kept)
        self.firsts = frozenset(firsts)
        self.max_chars = longest
        self.max_tokens = tokens

    def starts_at(self, s: str, i: int) -> bool:
        """Does a known name start at ``i``, followed by ``", "``, ``" et al"``, ``" · "`` or the end?

        ``s`` is collapsed (single spaces). The name's first token is the whole first
        space-separated token of ``s`` at ``i`` (at most _MAX_TOKEN characters).
        """
        n = len(s)
        e = s.find(" ", i, i + _MAX_TOKEN + 1)  # bounded: no first name token is longer
        if e < 0:
            if n - i > _MAX_TOKEN:
                return False
            e = n
        if s[i:e] not in self.firsts:
            return False
        names = self.names
        # A name ends at most max_chars in; the space after it (or after its ", ") is
        # at most two further on. No known name reaches past that.
        limit = i + self.max_chars + 2
        q = e  # the end of the k-th token: a space, or the end of the line
        for k in range(1, self.max_tokens + 1):
            if k > 1:
                nxt = s.find(" ", q + 1, limit)
                if nxt < 0:
                    if n > limit:
                        return False
                    nxt = n
                q = nxt
            if q == n:
                return s[i:n] in names
            if s.startswith((" et al", " " + _MIDDOT + " "), q) and s[i:q] in names:
                return True
            if k > 1 and s[q - 1] == "," and s[i : q - 1] in names:
                return True  # the name is followed by ", "
        return False


_NO_NAMES = _KnownNames(())


def _split(s: str, known: _KnownNames = _NO_NAMES, *, fallback_only: bool = False) -> _Split | None:
    if not fallback_only:
        memo: dict[int, bool] = {}
        # The plain-ASCII regex cannot scan past the next candidate (a capital glued to a
        # letter is not a plain token), so trying it first keeps the whole loop linear.
        valid = [
            i
            for i in (m.start() for m in _CANDIDATE.finditer(s))
            if s[i].isupper()
            and (_PLAIN_AUTHOR_LINE.fullmatch(s, i) or _author_line_ok(s, i, memo))
        ]
        if valid:
            i = valid[0]
            return _Split(s[:i], s[i:], "leftmost-valid", tuple(valid[1:]))
    # Fallback: the earliest candidate where a known author starts and is followed by
    # ", ", " et al.", " · " or the end of the line.
    if not known.names:
        return None
    for m in _CANDIDATE.finditer(s):
        i = m.start()
        if known.starts_at(s, i):
            return _Split(s[:i], s[i:], "known-author")
    return None


def split_glued_line(
    line: str, known_authors: frozenset[str] = frozenset()
) -> tuple[str, str, str] | None:
    """Split a layout-B line ``TitleAuthor, Author et al.`` into (title, author_line, method).

    ``method`` is ``"leftmost-valid"`` (the leftmost split point whose whole suffix
    parses as an author line, PROFILE_FORMAT.md section 3) or ``"known-author"``
    (fallback: the earliest split point where a name of ``known_authors`` starts).
    Returns None when neither finds a split. Never raises.

    >>> split_glued_line("OTMatch: Fictional TransportAda Quill, Bo Rennet")
    ('OTMatch: Fictional Transport', 'Ada Quill, Bo Rennet', 'leftmost-valid')
    """
    s = _nfc(" ".join(line.split()))
    found = _split(s, _KnownNames(known_authors))
    return None if found is None else (found.title, found.authors, found.method)
