"""URLs in abstracts: code repositories (normalised to their root) and other links."""

from __future__ import annotations

import re

from kg.model import Repository

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
