"""Profile pages -> typed records (:mod:`kg.model`).

The first step of the pipeline (parse -> resolve -> map -> store -> serve).
It reads the plain-text profile pages described in
``shared/docs/PROFILE_FORMAT.md`` and imports no RDF library.

Bad input is data, never an exception: anything the parser cannot read
becomes a :class:`~kg.model.ParseFailure` with the 1-based physical line, the
raw text (at most ``RAW_LIMIT`` characters) and a reason, and the rest of the
page still parses. Only misuse of the API raises (``TypeError`` for a wrong
argument type, ``OSError`` from :func:`parse_file` when the file can't be read).

Entry points: :func:`parse_file`, :func:`parse_bytes`, :func:`parse_text`.
The building blocks (:func:`split_glued_line`, :func:`parse_author_line`,
:func:`extract_urls`, :func:`resolve_date`, :func:`infer_owner`) are public
so that they can be tested and reused one by one.

Example::

    >>> from datetime import date
    >>> page = "LGMar 2, 2023Code\\nA Fictional Study\\n\\nAda Quill, Bo Rennet\\n\\nCode: https://github.com/aq/fs."
    >>> p = parse_text(page, "demo.txt", as_of=date(2026, 11, 21))
    >>> p.papers[0].title, p.papers[0].authors, p.papers[0].repositories[0].url
    ('A Fictional Study', ('Ada Quill', 'Bo Rennet'), 'https://github.com/aq/fs')
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kg.model import Layout, Metrics, Owner, PaperEntry, ParseFailure, Profile, Repository

__all__ = [
    "MAX_LINE_CHARS",
    "PARSER_VERSION",
    "RAW_LIMIT",
    "extract_urls",
    "infer_owner",
    "parse_author_line",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "resolve_date",
    "split_glued_line",
]

PARSER_VERSION = "1.0.0"

#: Longest physical line the parser reads (real abstracts are < 4,000 characters).
#: Longer lines become a failure and are skipped, so a 5 MB line costs O(n) once.
MAX_LINE_CHARS = 65_536
#: Raw text kept in a failure record.
RAW_LIMIT = 200
#: An author line longer than this is not tried as an author line at all.
_MAX_AUTHOR_LINE = 10_000
#: Longest name token / most tokens per name the author grammar accepts.
_MAX_TOKEN = 40
_MAX_NAME_TOKENS = 8
#: Share of control / replacement characters above which text is "binary".
_BINARY_RATIO = 0.10

_MIDDOT = "\u00b7"  # separator before affiliation tags: "A B, C D et al. · tsinghua"

# --- regular expressions (compiled once) -----------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# Category and month are glued ("CVJun"); upper-case category vs title-case month keeps
# that unambiguous. Optional spaces tolerate "LG Oct 31, 2022 Code" variants.
_DATE_LINE = re.compile(
    r"([A-Z]{2,4}) ?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2})"
    r"(?:, ?(\d{4}))? ?(Code)?"
)
_MAX_DATE_LINE = 40

_CATEGORY = re.compile(r"[A-Z]{2,4}")
_INTC = r"(\d{1,3}(?:,\d{3})+|\d+)"
_H_INDEX = re.compile(r"h-?index\s*:?\s*(\d+)", re.IGNORECASE)
_PAPERS = re.compile(_INTC + r"(\s*)([Pp])apers?")
_CITATIONS = re.compile(_INTC + r"\s*citations?", re.IGNORECASE)
_NOVELTY = re.compile(r"novelty\s*:?\s*(\d+)\s*%", re.IGNORECASE)
_AI_SCORE = re.compile(r"ai\s*score\s*:?\s*(\d+)", re.IGNORECASE)
# A header name: letters, spaces, dots, hyphens, apostrophes; no digits.
_HEADER_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ .'\u2019-])*")

# C0 controls except TAB LF VT FF CR, DEL, C1 controls. VT/FF count as whitespace.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_NON_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
# Invisible characters that web copies carry; none of them is content.
_INVISIBLE_CHARS = ("\u200b", "\u2060", "\ufeff", "\u00ad")
_INVISIBLE = re.compile("[" + "".join(_INVISIBLE_CHARS) + "]")

# Split candidates: an upper-case letter right after a letter, a digit or closing
# punctuation (never after a space or a hyphen). Non-ASCII matches are checked with
# str.isupper() so that É, Ç, Ø count. Consuming the letter first (then looking back
# two characters) lets the regex engine skip ahead to capitals: twice as fast.
_CANDIDATE = re.compile(r"(?:[A-Z]|[^\x00-\x7f])(?<=(?:[^\W_]|[.?!)\]}\"'\u2019\u201d]).)")
_TAGS = re.compile(r"[a-z0-9][a-z0-9._&-]*(?:, [a-z0-9][a-z0-9._&-]*)*")
_COMMA_WS = re.compile(r"\s*,\s*")
_SEPARATORS = re.compile("[,\u00b7]")
_MIDDOT_WS = re.compile(r"\s*\u00b7\s*")

# URLs stop at whitespace and { } ( ) < > " ' (and at a backslash that is not a LaTeX
# escape such as \_ or \%); trailing .,;:!?)]} are stripped afterwards.
_URL = re.compile(r"[hH][tT][tT][pP][sS]?://(?:[^\s{}()<>\"'\\]|\\[_%#&~])+")
_URL_TRAILING = ".,;:!?)]}"
_LATEX_ESCAPE = re.compile(r"\\([_%#&~])")
_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"})
_REPO_PART = re.compile(r"[A-Za-z0-9_.-]+")
# First path segments of github.com that are site pages, not users.
_GITHUB_RESERVED = frozenset(
    [
        "about",
        "apps",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "join",
        "login",
        "marketplace",
        "notifications",
        "orgs",
        "pricing",
        "pulls",
        "issues",
        "readme",
        "search",
        "security",
        "settings",
        "site",
        "sponsors",
        "team",
        "topics",
        "trending",
        "users",
    ]
)
_GITLAB_ROUTES = frozenset(
    [
        "tree",
        "blob",
        "raw",
        "commits",
        "commit",
        "issues",
        "merge_requests",
        "wikis",
        "releases",
        "tags",
        "branches",
    ]
)

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


# --- URLs -------------------------------------------------------------------


def _repository(url: str) -> Repository | None:
    """The repository a URL points into, or None when it is not a code-host repository URL."""
    rest = url[url.find("://") + 3 :]
    host, _, path = rest.partition("/")
    host = host.lower().partition(":")[0]  # drop a port
    if host.startswith("www."):
        host = host[4:]
    if host not in _CODE_HOSTS:
        return None
    segments = [seg for seg in path.partition("?")[0].partition("#")[0].split("/") if seg]
    if host == "gitlab.com":  # nested groups; the project path ends before "/-/" or a route
        for k, seg in enumerate(segments):
            if seg == "-" or (k >= 2 and seg in _GITLAB_ROUTES):
                segments = segments[:k]
                break
    else:
        segments = segments[:2]
    if len(segments) < 2:
        return None
    owner, name = "/".join(segments[:-1]), segments[-1]
    if name.lower().endswith(".git"):
        name = name[:-4]
    if host == "github.com" and owner.lower() in _GITHUB_RESERVED:
        return None
    if not name or not all(_REPO_PART.fullmatch(part) for part in (*segments[:-1], name)):
        return None
    return Repository(url=f"https://{host}/{owner}/{name}", host=host, owner=owner, name=name)


def extract_urls(abstract: str) -> tuple[tuple[Repository, ...], tuple[str, ...]]:
    """Find URLs in an abstract: (code repositories, other links), each in first-seen order.

    Repositories on github.com, gitlab.com, bitbucket.org and codeberg.org are
    normalised to their root (``https://github.com/OWNER/REPO``: case kept, ``.git``
    and deeper paths dropped) and deduplicated (case-insensitively, as the hosts
    are). Everything else (hf.co, project pages, a GitHub user page) is a link.
    Never raises.

    >>> repos, links = extract_urls(r"See \\href{https://github.com/Aq/Fs}{https://github.com/Aq/Fs/tree/main}. Data: https://hf.co/aq")
    >>> [r.url for r in repos], links
    (['https://github.com/Aq/Fs'], ('https://hf.co/aq',))
    """
    repos: list[Repository] = []
    links: list[str] = []
    seen: set[str] = set()
    first = abstract.find("://")
    if first < 0:
        return (), ()
    # Start the scan near the first "://" (str.find is far faster than the regex scan).
    for m in _URL.finditer(abstract, max(0, first - 5)):
        url = m.group().rstrip(_URL_TRAILING)
        if "\\" in url:
            url = _LATEX_ESCAPE.sub(r"\1", url)
        if len(url) <= len("https://"):
            continue
        repo = _repository(url)
        key = repo.url.casefold() if repo else url
        if key in seen:
            continue
        seen.add(key)
        if repo:
            repos.append(repo)
        else:
            links.append(url)
    return tuple(repos), tuple(links)


# --- dates ------------------------------------------------------------------


def resolve_date(month: int, day: int, year: int | None, as_of: date) -> tuple[date, bool]:
    """Return (date, year_inferred) for a date line's month/day[/year].

    A yearless date is in the copy year (the site omits the current year), unless its
    month/day is after ``as_of``: then it is in the year before.
    Raises ValueError for an impossible date (``Feb 31``).

    >>> resolve_date(6, 4, None, date(2026, 11, 21))
    (datetime.date(2026, 6, 4), True)
    >>> resolve_date(12, 24, None, date(2026, 11, 21))
    (datetime.date(2025, 12, 24), True)
    """
    if year is not None:
        return date(year, month, day), False
    inferred = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
    return date(inferred, month, day), True


# --- owner ------------------------------------------------------------------


def infer_owner(papers: Iterable[PaperEntry], header_name: str | None) -> Owner:
    """Whose profile this is (PROFILE_FORMAT.md section 4).

    The header name wins whenever there is one. Otherwise the complete-author-list
    test: the owner must be on every author list not truncated by ``et al.``.
    One such name visible on every entry -> "certain"; one such name -> "high";
    several, one visible on more entries than the others -> "low"; otherwise no
    name (confidence "none"), with the reason in ``evidence``. Never raises.
    """
    entries = tuple(papers)
    n = len(entries)
    visible: Counter[str] = Counter()
    for entry in entries:
        visible.update(set(entry.authors))
    if header_name:
        return Owner(
            header_name,
            inferred=False,
            confidence="header",
            evidence=f"header name; visible on {visible[header_name]} of {n} entries",
        )
    if not entries:
        return Owner(None, False, "none", "no header name and no paper entries")
    complete = [frozenset(e.authors) for e in entries if not e.authors_truncated and e.authors]
    if not complete:
        return Owner(
            None,
            False,
            "none",
            f"no header name and no complete author list: all {n} entries are truncated by 'et al.'",
        )
    common = frozenset.intersection(*complete)
    k = len(complete)
    if not common:
        return Owner(
            None, False, "none", f"no header name, and no name is on all {k} complete author lists"
        )
    ranked = sorted(common, key=lambda a: (-visible[a], a))
    best = ranked[0]
    seen = visible[best]
    if len(ranked) == 1:
        if seen == n:
            return Owner(
                best,
                True,
                "certain",
                f"the only name on all {k} complete author lists, and visible on all {n} entries",
            )
        return Owner(
            best,
            True,
            "high",
            f"the only name on all {k} complete author lists; visible on {seen} of {n} entries,"
            f" and the {n - seen} others are truncated by 'et al.'",
        )
    names = ", ".join(ranked)
    if visible[ranked[1]] == seen:
        return Owner(
            None,
            False,
            "none",
            f"no header name; {len(ranked)} names are on all {k} complete author lists ({names})"
            f" and none is visible on more entries than the others",
        )
    return Owner(
        best,
        True,
        "low",
        f"{len(ranked)} names are on all {k} complete author lists ({names});"
        f" chose the one visible on most entries ({seen} of {n})",
    )


# --- the page parser --------------------------------------------------------

_Line = tuple[int, str]  # (physical line number, stripped text; "" for a blank line)


@dataclass(slots=True)
class _Entry:
    line: int
    raw: str
    match: re.Match[str]
    body: list[_Line]


@dataclass(slots=True)
class _Header:
    name: str | None = None
    category: str | None = None
    metrics: Metrics | None = None
    count: int | None = None
    recognised: bool = False
    junk: list[list[_Line]] = field(default_factory=list)  # unrecognised blocks of lines


class _OutOfTime(Exception):
    """The page's time budget is spent (raised at ``line``; caught by _guarded)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass(slots=True)
class _Pending:
    """A glued line with no valid split point, retried once all known authors are in."""

    index: int
    entry: _Entry
    glued: _Line
    abstract: str
    last: bool


def _raw(text: str) -> str:
    return text[:RAW_LIMIT]


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _clean(text: str) -> str:
    """Drop invisible characters (BOM, zero-width space, soft hyphen); none is content."""
    if not text.isascii() and any(ch in text for ch in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    return text


def _nfc(text: str) -> str:
    """NFC for the short structural strings (title, names), so "Renée" is one spelling.

    Abstracts are kept verbatim; normalising a whole page costs more than parsing it.
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


# Bytes that are C0 controls (other than TAB LF VT FF CR) or DEL; deleting all *other*
# bytes with bytes.translate leaves exactly those, at C speed.
_NOT_CONTROL_BYTES = bytes(
    c for c in range(256) if not ((c < 0x20 and c not in b"\t\n\x0b\x0c\r") or c == 0x7F)
)


def _has_control_bytes(data: bytes) -> bool:
    """Any control character in UTF-8/ASCII bytes? C1 controls are \\xc2\\x80-\\xc2\\x9f."""
    if data.translate(None, _NOT_CONTROL_BYTES):
        return True
    return b"\xc2" in data and _C1_UTF8.search(data) is not None


def _has_control(text: str) -> bool:
    if text.isascii():
        return _has_control_bytes(text.encode("ascii"))
    return _CONTROL.search(text) is not None


def _looks_binary(text: str) -> bool:
    """Whole-text test, for decoded bytes: NUL, or >= 10% control/replacement characters."""
    if "\x00" in text:
        return True
    bad = len(_NON_TEXT.findall(text))
    return bad > 0 and bad >= _BINARY_RATIO * len(text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _PageParser:
    """The per-page state: where failures go, and the copy date."""

    def __init__(
        self,
        source: str,
        as_of: date,
        failures: list[ParseFailure],
        deadline: float | None = None,
    ) -> None:
        self.source = source
        self.as_of = as_of
        self.failures = failures
        #: time.monotonic() after which the parse stops (a per-file time budget), or None.
        self.deadline = deadline

    def on_time(self, line: int) -> None:
        """Raise _OutOfTime when the page's time budget is spent."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime(line)

    def fail(self, line: int, reason: str, raw: str = "") -> None:
        self.failures.append(ParseFailure(self.source, line, reason, _raw(raw)))

    # One pass over the physical lines: date lines delimit entries. This loop touches
    # every line of every page; it is kept flat on purpose (a helper call per line, or
    # list comprehensions plus zip, measured 1.7-3x slower).
    def split_lines(
        self, lines: list[str], check_control: bool
    ) -> tuple[list[_Line], list[_Entry], int]:
        """Group lines into header lines and entries; also count non-text characters."""
        header: list[_Line] = []
        entries: list[_Entry] = []
        target = header
        non_text = 0
        deadline = self.deadline
        for number, raw in enumerate(lines, 1):
            if not number & 0xFFF and deadline is not None:  # every 4,096 lines: cheap
                self.on_time(number)
            if len(raw) > MAX_LINE_CHARS:
                non_text += len(_NON_TEXT.findall(raw))
                self.fail(
                    number,
                    f"line too long ({len(raw):,} characters, limit {MAX_LINE_CHARS:,}); skipped",
                    raw,
                )
                continue
            s = raw.strip()
            if check_control and _CONTROL.search(s):
                non_text += len(_NON_TEXT.findall(s))
                self.fail(number, "unreadable line (control characters); skipped", s)
                continue
            # A category is 2+ capitals: the second-character test skips names and titles.
            if (
                len(s) <= _MAX_DATE_LINE
                and len(s) > 1
                and "A" <= s[0] <= "Z"
                and "A" <= s[1] <= "Z"
            ):
                m = _DATE_LINE.fullmatch(s)
                if m is None and (collapsed := _collapse(s)) != s:
                    m = _DATE_LINE.fullmatch(collapsed)
                if m:
                    entry = _Entry(number, s, m, [])
                    entries.append(entry)
                    target = entry.body
                    continue
            target.append((number, s))
        return header, entries, non_text

    def parse_header(self, lines: list[_Line]) -> _Header:
        h = _Header()
        values: dict[str, int] = {}
        metric_line = 0
        name_line: _Line | None = None
        junk: list[_Line] = []
        groups: list[list[_Line]] = []

        def flush() -> None:
            if junk:
                groups.append(junk.copy())
                junk.clear()

        def metric(key: str, value: int, number: int, text: str) -> None:
            nonlocal metric_line
            if key in values:
                junk.append((number, text))
                return
            values[key] = value
            metric_line = metric_line or number

        first = True
        for number, s in lines:
            if not s:
                continue
            t = _collapse(s)
            is_first, first = first, False
            if m := _H_INDEX.fullmatch(t):
                metric("h_index", int(m.group(1)), number, t)
            elif m := _PAPERS.fullmatch(t):
                # "15papers" is the metric, "15 Papers" the count line; variants go to
                # whichever is still free.
                is_count = m.group(2) != "" and m.group(3) == "P"
                if not is_count and "papers" in values and h.count is None:
                    is_count = True
                if is_count and h.count is None:
                    h.count = _int(m.group(1))
                else:
                    metric("papers", _int(m.group(1)), number, t)
            elif m := _CITATIONS.fullmatch(t):
                metric("citations", _int(m.group(1)), number, t)
            elif m := _NOVELTY.fullmatch(t):
                metric("novelty", int(m.group(1)), number, t)
            elif m := _AI_SCORE.fullmatch(t):
                metric("ai_score", int(m.group(1)), number, t)
            elif _CATEGORY.fullmatch(t) and h.category is None:
                h.category = t
            elif is_first and len(t) <= 100 and len(t.split()) <= 8 and _HEADER_NAME.fullmatch(t):
                name_line = (number, t)
                continue
            else:
                junk.append((number, t))
                continue
            h.recognised = True
            flush()
        flush()
        if name_line is not None:
            if h.recognised:  # a name alone, followed by no header line, is not a header
                h.name = _nfc(name_line[1])
            else:
                groups.insert(0, [name_line])
                if len(groups) > 1:
                    groups[:2] = [groups[0] + groups[1]]
        h.junk = groups
        if values:
            h.metrics = Metrics(
                h_index=values.get("h_index"),
                papers=values.get("papers"),
                citations=values.get("citations"),
                novelty=values.get("novelty"),
                ai_score=values.get("ai_score"),
                line=metric_line,
            )
        return h

    def parse_entry(
        self, entry: _Entry, last: bool, index: int, pending: list[_Pending]
    ) -> PaperEntry | None:
        items: list[tuple[int, str, int]] = []  # (line, text, block)
        block = 0
        for number, s in entry.body:
            if s:
                items.append((number, s, block))
            else:
                block += 1
        if not items:
            where = " (the file ends here)" if last else ""
            self.fail(entry.line, f"date line without a title{where}", entry.raw)
            return None
        authors: tuple[tuple[str, ...], bool, tuple[str, ...]] | None = None
        if len(items) >= 2:
            authors = parse_author_line(items[1][1])
        start = 2 if authors is not None else 1
        # The abstract is one block of consecutive lines; later blocks are not part of the
        # grammar (garbage between entries) and are reported, not silently merged.
        abstract_lines: list[str] = []
        if start < len(items):
            abstract_block = items[start][2]
            stray: dict[int, list[tuple[int, str, int]]] = {}
            for item in items[start:]:
                if item[2] == abstract_block:
                    abstract_lines.append(item[1])
                else:
                    stray.setdefault(item[2], []).append(item)
            for group in stray.values():
                extra = f" ({len(group)} lines)" if len(group) > 1 else ""
                self.fail(
                    group[0][0],
                    f"unexpected text after the abstract of the entry at line {entry.line}{extra}; skipped",
                    group[0][1],
                )
        abstract = " ".join(abstract_lines)
        if authors is not None:
            return self.make_entry(
                entry, _nfc(_collapse(items[0][1])), authors, abstract, "A", None
            )
        number, glued = items[0][0], _nfc(_collapse(items[0][1]))
        found = _split(glued)
        if found is None:
            pending.append(
                _Pending(index, entry, (number, glued), abstract, last and len(items) == 1)
            )
            return None
        if found.alternatives:
            alt = found.alternatives[0]
            self.fail(
                number,
                f"low-confidence title/author split: {len(found.alternatives) + 1} valid split points;"
                f" took the leftmost (authors {found.authors[:40]!r}), not e.g. {glued[alt : alt + 40]!r}",
                glued,
            )
        # found.authors was validated by the split: cutting it up is all that is left.
        return self.make_entry(
            entry, found.title, _author_fields(found.authors), abstract, "B", found.method
        )

    def resolve_pending(self, pending: _Pending, known: _KnownNames) -> PaperEntry | None:
        number, glued = pending.glued
        # No split point was valid (parse_entry tried): only the fallback is left.
        found = _split(glued, known, fallback_only=True)
        if found is None:
            cut = "; the file may be cut in the middle of this entry" if pending.last else ""
            self.fail(
                number,
                "cannot separate title and authors: no split point leaves a well-formed author"
                f" list and no known author starts one (entry at line {pending.entry.line}){cut}",
                glued,
            )
            return None
        self.fail(
            number,
            f"low-confidence title/author split: the author list is not well-formed; split before"
            f" the known author at {found.authors[:40]!r}",
            glued,
        )
        return self.make_entry(
            pending.entry,
            found.title,
            _lenient_authors(found.authors),
            pending.abstract,
            "B",
            found.method,
        )

    def make_entry(
        self,
        entry: _Entry,
        title: str,
        authors: tuple[tuple[str, ...], bool, tuple[str, ...]],
        abstract: str,
        layout: Layout,
        split_method: str | None,
    ) -> PaperEntry:
        m = entry.match
        category, month, day, year, code = m.groups()
        date_text = m.string[m.start(2) : m.end(4) if year else m.end(3)]
        try:
            when, inferred = resolve_date(
                _MONTHS[month], int(day), int(year) if year else None, self.as_of
            )
        except ValueError as exc:
            self.fail(
                entry.line,
                f"impossible date {date_text!r} ({exc}); entry kept without a date",
                entry.raw,
            )
            when, inferred = None, year is None
        repos, links = extract_urls(abstract) if "://" in abstract else ((), ())
        names, truncated, tags = authors
        return PaperEntry(
            source=self.source,
            line=entry.line,
            title=title,
            authors=names,
            authors_truncated=truncated,
            affiliations=tags,
            category=category,
            date=when,
            date_text=date_text,
            year_inferred=inferred,
            has_code=code is not None,
            repositories=repos,
            links=links,
            abstract=abstract,
            layout=layout,
            split_method=split_method,
        )


def _failed(
    source: str, sha256: str, as_of: date, line: int, reason: str, raw: str = ""
) -> Profile:
    return Profile(
        source=source,
        sha256=sha256,
        as_of=as_of,
        owner=Owner(None, False, "none", "nothing could be read from the file"),
        category=None,
        metrics=None,
        declared_count=None,
        papers=(),
        failures=(ParseFailure(source, line, reason, _raw(raw)),),
    )


def _parse(
    text: str,
    source: str,
    as_of: date,
    sha256: str,
    known_authors: frozenset[str],
    notes: tuple[ParseFailure, ...],
    control: bool | None,
    deadline: float | None = None,
) -> Profile:
    text = _clean(text)
    if not text.strip():
        return _failed(
            source, sha256, as_of, 1, "empty file" if not text else "empty file (only whitespace)"
        )
    binary = "binary file (NUL bytes or control characters), not a profile page"
    if "\x00" in text:
        return _failed(source, sha256, as_of, 1, binary, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    failures: list[ParseFailure] = list(notes)
    parser = _PageParser(source, as_of, failures, deadline)
    check = _has_control(text) if control is None else control
    header_lines, raw_entries, non_text = parser.split_lines(lines, check)
    non_text += text.count("\ufffd")
    if non_text and non_text >= _BINARY_RATIO * len(text):
        return _failed(source, sha256, as_of, 1, binary, text)
    header = parser.parse_header(header_lines)

    slots: list[PaperEntry | None] = []
    pending: list[_Pending] = []
    for index, raw_entry in enumerate(raw_entries):
        parser.on_time(raw_entry.line)
        slots.append(parser.parse_entry(raw_entry, index == len(raw_entries) - 1, index, pending))
    if pending:
        known = set(known_authors)
        if header.name:
            known.add(header.name)
        for paper in slots:
            if paper is not None:
                known.update(paper.authors)
        names = _KnownNames(known)  # once per page, whatever the number of glued lines
        for item in pending:
            parser.on_time(item.glued[0])
            slots[item.index] = parser.resolve_pending(item, names)
    papers = tuple(p for p in slots if p is not None)

    if not raw_entries and not header.recognised and header.junk:
        # Nothing of the grammar at all: one failure says so instead of one per block.
        number, first = header.junk[0][0]
        parser.fail(number, "not a profile page: no header and no date line found", first)
    else:
        for group in header.junk:
            number, first = group[0]
            extra = f" ({len(group)} lines)" if len(group) > 1 else ""
            parser.fail(number, f"unrecognised text before the first entry{extra}; skipped", first)
    failures.sort(key=lambda f: f.line)
    return Profile(
        source=source,
        sha256=sha256,
        as_of=as_of,
        owner=infer_owner(papers, header.name),
        category=header.category,
        metrics=header.metrics,
        declared_count=header.count,
        papers=papers,
        failures=tuple(failures),
    )


def parse_text(
    text: str,
    source: str,
    *,
    as_of: date,
    sha256: str = "",
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page given as text.

    ``as_of`` is the date the page was copied (it resolves yearless dates).
    ``known_authors`` (optional) are names seen in other files, used only by the
    layout-B fallback split. ``time_budget`` (seconds, optional): a page whose parse
    takes longer stops and becomes one failure, with no papers. Never raises on any
    text: what can't be read is in ``Profile.failures``. Raises TypeError when
    ``text`` is not a str or ``as_of`` not a date.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    return _guarded(text, source, as_of, sha256, known_authors, (), None, time_budget)


def _guarded(
    text: str,
    source: str,
    as_of: date,
    sha256: str,
    known_authors: frozenset[str],
    notes: tuple[ParseFailure, ...],
    control: bool | None = None,
    time_budget: float | None = None,
    started: float | None = None,
) -> Profile:
    deadline = None
    if time_budget is not None:
        deadline = (time.monotonic() if started is None else started) + time_budget
    try:
        return _parse(text, source, as_of, sha256, known_authors, notes, control, deadline)
    except _OutOfTime as stop:
        reason = (
            f"parsing stopped at line {stop.line}: the page took longer than the per-file"
            f" parse time budget of {time_budget:g} s; nothing of this file is read"
        )
        return _failed(source, sha256, as_of, stop.line, reason)
    except Exception as exc:  # pragma: no cover - last line of defence: input must never raise
        return _failed(
            source,
            sha256,
            as_of,
            1,
            f"internal parser error ({type(exc).__name__}: {exc}); please report",
            text,
        )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@dataclass(frozen=True, slots=True)
class _Decoded:
    text: str | None
    encoding: str = ""
    notes: tuple[ParseFailure, ...] = ()  # non-fatal: the text is still parsed
    line: int = 1  # where decoding failed, when text is None
    reason: str = ""


def _decode(data: bytes, source: str) -> _Decoded:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/Latin-1 if text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            return _Decoded(
                None,
                line=_line_of(data, exc.start),
                reason=f"undecodable bytes: UTF-16 byte order mark, but {exc.reason}",
            )
    if b"\x00" in data:
        return _Decoded(None, line=1, reason="binary file (NUL bytes), not a profile page")
    try:
        return _Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        error = exc
    line = _line_of(data, error.start)
    if error.reason == "unexpected end of data" and error.end == len(data):
        # Cut inside the last character: keep what is there and say so.
        try:
            text = data[: error.start].decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            note = ParseFailure(
                source, line, "file ends in the middle of a UTF-8 character (file cut?)"
            )
            return _Decoded(text, "utf-8", (note,))
    replaced = data.decode("utf-8-sig", "replace")
    bad = replaced.count("\ufffd")
    multibyte = len(replaced) - len(replaced.encode("ascii", "ignore")) - bad
    if multibyte > bad:
        # Mostly UTF-8 with a few broken bytes: keep it, replacement characters and all.
        note = ParseFailure(
            source, line, f"invalid UTF-8: {bad} byte sequence(s) replaced by U+FFFD"
        )
        return _Decoded(replaced, "utf-8-replace", (note,))
    # Not UTF-8: a cp1252/Latin-1 page is kept as it is, if it then reads as text.
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    if _looks_binary(text):
        return _Decoded(
            None,
            line=line,
            reason="undecodable bytes: not UTF-8, and not text in cp1252/Latin-1 either",
        )
    return _Decoded(text, encoding)


def parse_bytes(
    data: bytes,
    source: str,
    *,
    as_of: date,
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page given as bytes; ``sha256`` is that of the raw bytes.

    Decoding: UTF-8 with or without BOM (or UTF-16 with a BOM). Bytes that are not
    UTF-8 are read as cp1252/Latin-1 when that gives text; NUL bytes or control
    character soup make a "binary file" failure, other unreadable bytes an
    "undecodable bytes" failure (a Profile with no papers, never an exception).
    ``time_budget``: as for :func:`parse_text` (decoding counts). Raises TypeError
    when ``data`` is not bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    started = time.monotonic()
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        return _failed(source, digest, as_of, 1, "empty file")
    decoded = _decode(data, source)
    if decoded.text is None:
        return _failed(
            source, digest, as_of, decoded.line, decoded.reason, data[:RAW_LIMIT].decode("latin-1")
        )
    # Control characters are cheapest to find in the raw bytes, when those are UTF-8.
    control = _has_control_bytes(data) if decoded.encoding == "utf-8" else None
    return _guarded(
        decoded.text,
        source,
        as_of,
        digest,
        known_authors,
        decoded.notes,
        control,
        time_budget,
        started,
    )


def parse_file(
    path: str | Path,
    *,
    as_of: date,
    source: str | None = None,
    known_authors: frozenset[str] = frozenset(),
    time_budget: float | None = None,
) -> Profile:
    """Parse one profile page file; ``source`` defaults to the file name.

    Raises OSError when the file can't be read; never for its content.
    """
    p = Path(path)
    return parse_bytes(
        p.read_bytes(),
        source if source is not None else p.name,
        as_of=as_of,
        known_authors=known_authors,
        time_budget=time_budget,
    )
