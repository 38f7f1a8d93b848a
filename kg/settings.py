"""Every setting of the project, in one place: default, flag, environment variable and help.

Each field of :class:`Settings` carries its own flag, environment variable and
help text (in the field's metadata); :data:`SETTINGS` is the table derived from
the fields, and from it come the ``kg`` command's options (kg.cli), the
``KG_*`` variables read here (nowhere else) and the table in docs/settings.md
(a test checks that the document is up to date, and that every ``KG_*`` name
the code mentions is a setting).

Precedence: defaults < environment < explicit values (flags, a test's config).
Which settings were given explicitly is kept (:attr:`Settings.explicit`), so that
a store's own description (its base IRI, recorded at ingest) can fill in the rest.

This module is the base layer: it imports nothing of the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

#: Where ``kg`` keeps its store when nothing says otherwise (relative to the working folder).
DEFAULT_STORE = "data/store"
#: The base of minted IRIs when neither the user nor the store says otherwise.
DEFAULT_BASE_IRI = "http://localhost:8000/"
DEFAULT_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


def _setting(
    default: Any,
    *,
    env: str,
    help: str,
    flag: str | None = None,
    kind: type | None = None,
    commands: tuple[str, ...] = ("serve",),
) -> Any:
    """A dataclass field that describes itself (see :class:`Setting`)."""
    meta = {
        "flag": flag,
        "env": env,
        "help": help,
        "kind": kind or type(default),
        "commands": commands if flag else (),
    }
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings of one run of ``kg`` (a command, or a server and its workers)."""

    store: str = _setting(
        DEFAULT_STORE,
        flag="--store",
        env="KG_STORE",
        commands=("serve", "ingest", "precompute", "resolve", "stats", "export", "query", "report"),
        help="Store folder (embedded Oxigraph), or the http(s) URL of an external store's SPARQL 1.1 "
        "query endpoint (README: Beyond one machine).",
    )
    update_url: str | None = _setting(
        None,
        flag="--update-url",
        env="KG_UPDATE_URL",
        kind=str,
        commands=("serve", "ingest", "stats", "export", "query", "report"),
        help="External store: its SPARQL Update URL (default: the query URL, or .../update beside .../query).",
    )
    graph_store_url: str | None = _setting(
        None,
        flag="--graph-store-url",
        env="KG_GRAPH_STORE_URL",
        kind=str,
        commands=("serve", "ingest", "stats", "export", "query", "report"),
        help="External store: its Graph Store Protocol URL, used to export graph by graph (optional).",
    )
    base_iri: str = _setting(
        DEFAULT_BASE_IRI,
        flag="--base-iri",
        env="KG_BASE_IRI",
        commands=("serve", "ingest", "precompute", "resolve", "stats", "export", "query", "report"),
        help="Base of minted IRIs; set it to the public address so that IRIs dereference. "
        "Recorded in the store at ingest: later commands use the store's own by default.",
    )
    host: str = _setting("127.0.0.1", flag="--host", env="KG_HOST", help="Address to listen on.")
    port: int = _setting(8000, flag="--port", env="KG_PORT", help="Port to listen on.")
    workers: int = _setting(1, flag="--workers", env="KG_WORKERS", help="HTTP worker processes.")
    threads: int = _setting(
        8, flag="--threads", env="KG_THREADS", help="Request threads per HTTP worker."
    )
    query_workers: int = _setting(
        2,
        flag="--query-workers",
        env="KG_QUERY_WORKERS",
        help="Query processes per HTTP worker for client queries (/sparql, the query page), "
        "growing to twice as many when all are busy (a timed-out one is killed).",
    )
    query_timeout: float = _setting(
        30.0,
        flag="--query-timeout",
        env="KG_QUERY_TIMEOUT",
        help="Seconds a query may run before it is stopped (503).",
    )
    app_query_workers: int = _setting(
        1,
        flag="--app-query-workers",
        env="KG_APP_QUERY_WORKERS",
        help="Query processes per HTTP worker reserved for the application's own queries "
        "(reports, linked data, pages), growing to twice as many; client queries (/sparql, the "
        "query page) run in the --query-workers and cannot take these (0: one shared pool).",
    )
    client_queries: int = _setting(
        2,
        flag="--client-queries",
        env="KG_CLIENT_QUERIES",
        help="Client queries (/sparql, the query page) one client address may have running or "
        "waiting at once, per HTTP worker (429 beyond; 0: no limit).",
    )
    client_query_timeout: float = _setting(
        10.0,
        flag="--client-query-timeout",
        env="KG_CLIENT_QUERY_TIMEOUT",
        help="Seconds a client query may run (at most --query-timeout; 503 beyond); a request "
        "with the update token gets --query-timeout.",
    )
    max_rows: int = _setting(
        100_000,
        flag="--max-rows",
        env="KG_MAX_ROWS",
        help="Most solutions or triples one response carries (header X-SPARQL-MaxRows when cut).",
    )
    query_memory_mb: int = _setting(
        4096,
        flag="--query-memory-mb",
        env="KG_QUERY_MEMORY_MB",
        help="Address-space cap of each query process, in MiB (0: none).",
    )
    max_document_triples: int = _setting(
        10_000,
        flag="--max-document-triples",
        env="KG_MAX_DOCUMENT_TRIPLES",
        help="Most triples of a linked-data document's own part (a resource's description, a "
        "source graph); a longer one is cut, says so and links the dumps.",
    )
    max_body_bytes: int = _setting(
        1_048_576,
        flag="--max-body-bytes",
        env="KG_MAX_BODY_BYTES",
        help="Largest request body accepted (413 beyond).",
    )
    max_url_length: int = _setting(
        16_384,
        flag="--max-url-length",
        env="KG_MAX_URL_LENGTH",
        help="Longest request URL accepted (414 beyond).",
    )
    body_timeout: float = _setting(
        10.0,
        flag="--body-timeout",
        env="KG_BODY_TIMEOUT",
        help="Seconds a client has to send a request body, plus one per --min-body-rate bytes "
        "(408 beyond).",
    )
    min_body_rate: int = _setting(
        65_536,
        flag="--min-body-rate",
        env="KG_MIN_BODY_RATE",
        help="Bytes per second a request body must keep up after --body-timeout (408 below).",
    )
    send_timeout: float = _setting(
        60.0,
        flag="--send-timeout",
        env="KG_SEND_TIMEOUT",
        help="Seconds a client may leave a response part unread before the connection is dropped.",
    )
    update_token: str | None = _setting(
        None,
        flag="--update-token",
        env="KG_UPDATE_TOKEN",
        kind=str,
        help="Enables SPARQL Update for requests with `Authorization: Bearer TOKEN`.",
    )
    allow_update: bool = _setting(
        False,
        flag="--allow-update",
        env="KG_ALLOW_UPDATE",
        help="Enables SPARQL Update without a token; refused unless the host is a loopback address.",
    )
    service_allowlist: tuple[str, ...] = _setting(
        (),
        flag="--service-allow",
        env="KG_SERVICE_ALLOW",
        help="Endpoints that SERVICE may call (space-separated IRIs in the variable); none by default.",
    )
    trusted_hosts: tuple[str, ...] = _setting(
        (),
        flag="--trusted-host",
        env="KG_TRUSTED_HOSTS",
        help="Host header values accepted, besides the base IRI's host and loopback names; "
        "`.example.org` matches subdomains, `*` any host (400 for others).",
    )
    cors_origin: str = _setting(
        "*",
        flag="--cors-origin",
        env="KG_CORS_ORIGIN",
        help="Access-Control-Allow-Origin sent on /sparql and data responses.",
    )
    rate_limit: float = _setting(
        0.0,
        flag="--rate-limit",
        env="KG_RATE_LIMIT",
        help="Requests per second allowed per client address (0: no limit).",
    )
    license: str = _setting(
        DEFAULT_LICENSE,
        flag="--license",
        env="KG_LICENSE",
        help="License IRI announced in VoID and dumps.",
    )
    dumps_dir: str | None = _setting(
        None,
        flag="--dumps-dir",
        env="KG_DUMPS_DIR",
        kind=str,
        help="Folder of generated dumps (default: STORE/dumps).",
    )
    curation: str | None = _setting(
        None,
        flag="--curation",
        env="KG_CURATION",
        kind=str,
        commands=("ingest",),
        help="Identity curation file (must-link / cannot-link; docs/identity.md). "
        "Default: ./curation.tsv if it exists.",
    )
    max_file_bytes: int = _setting(
        16 * 1024 * 1024,
        flag="--max-file-bytes",
        env="KG_MAX_FILE_BYTES",
        commands=("ingest",),
        help="Largest profile file ingest reads, in bytes; a larger one fails (not read; what the "
        "store holds for it stays) and the other files are ingested (0: no limit).",
    )
    parse_timeout: float = _setting(
        60.0,
        flag="--parse-timeout",
        env="KG_PARSE_TIMEOUT",
        commands=("ingest",),
        help="Seconds the parse of one profile file may take at ingest; a slower one stops and "
        "fails (what the store holds for it stays) and the other files are ingested (0: no limit).",
    )
    queries_dir: str | None = _setting(
        None,
        env="KG_QUERIES_DIR",
        kind=str,
        help="Folder of the canned reports (*.rq) the server loads (default: the project's queries/).",
    )
    warm_reports: bool = _setting(
        True,
        env="KG_WARM_REPORTS",
        help="Compute the whole-graph reports in the background when the server starts.",
    )
    dump_wait: float = _setting(
        5.0,
        env="KG_DUMP_WAIT",
        help="Seconds a dump request waits for a build it started before answering 503.",
    )
    search_index: str | None = _setting(
        None,
        flag="--search-index-dir",
        env="KG_SEARCH_INDEX",
        kind=str,
        commands=("serve", "search", "search-index", "report"),
        help="Full-text search index folder (default: STORE/search; required with an external "
        "store's URL).",
    )
    #: Objects, not settings: what a test or an embedding application hands the server
    #: (``backend``: a kg.store.query.QueryBackend to serve from).
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: The names given explicitly (environment or overrides), as opposed to defaults.
    explicit: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, then the environment (``os.environ`` unless given), then ``overrides``.

        An override named after no setting goes to :attr:`extra`. Relative folders
        (the store, the dumps, the queries) become absolute here, once: a server
        hands them to code that resolves relative paths elsewhere (Flask's send_file
        against the package folder).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            if setting.env in env:
                values[setting.name] = setting.coerce(env[setting.env])
        extra: dict[str, Any] = {}
        for key, value in (overrides or {}).items():
            spec = _BY_NAME.get(key)
            if spec is None:
                extra[key] = value
            elif value is not None:
                values[key] = spec.coerce(value)
        if "base_iri" in values:
            values["base_iri"] = normalise_base(values["base_iri"])
        settings = cls(**values, extra=extra, explicit=frozenset(values))
        return settings.with_absolute_paths()

    def with_absolute_paths(self) -> Settings:
        """The same settings with the folders made absolute against the working folder."""
        changes: dict[str, Any] = {}
        if not _is_url(self.store):
            changes["store"] = str(Path(self.store).expanduser().absolute())
        for name in ("dumps_dir", "queries_dir", "curation", "search_index"):
            value = getattr(self, name)
            if value:
                changes[name] = str(Path(value).expanduser().absolute())
        return replace(self, **changes)

    @property
    def search_folder(self) -> Path | None:
        """The search index folder: the setting, else STORE/search (None for an external store)."""
        if self.search_index:
            return Path(self.search_index)
        return None if _is_url(self.store) else Path(self.store) / "search"

    @property
    def updates_enabled(self) -> bool:
        return bool(self.update_token) or self.allow_update

    def to_environ(self) -> dict[str, str]:
        """The settings as environment variables (how `kg serve` hands them to its workers)."""
        env: dict[str, str] = {}
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                env[setting.env] = " ".join(value)
            elif isinstance(value, bool):
                env[setting.env] = "1" if value else "0"
            else:
                env[setting.env] = str(value)
        return env


def normalise_base(base: str) -> str:
    """Check a base IRI and give it a trailing slash.

    Raises ``ValueError`` for anything but an absolute http(s) IRI without
    query or fragment.

    >>> normalise_base("https://kg.example.org")
    'https://kg.example.org/'
    """
    if not base.startswith(("http://", "https://")) or any(c in base for c in '?#<> "{}|\\^`'):
        raise ValueError(f"base IRI must be an absolute http(s) IRI, got {base!r}")
    return base if base.endswith("/") else base + "/"


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table, as a field of :class:`Settings` describes it."""

    name: str
    flag: str | None
    env: str
    default: Any
    kind: type
    help: str
    #: The ``kg`` commands that take :attr:`flag`.
    commands: tuple[str, ...]

    def coerce(self, raw: Any) -> Any:
        """A value from the environment or a flag, as this setting's type."""
        if raw is None:
            return None
        if self.kind is bool:
            if isinstance(raw, str):
                return raw.strip().lower() in {"1", "true", "yes", "on"}
            return bool(raw)
        if self.kind is tuple:
            if isinstance(raw, str):
                return tuple(part for part in raw.split() if part)
            return tuple(raw)
        return self.kind(raw)


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(
        f.name,
        f.metadata["flag"],
        f.metadata["env"],
        f.default,
        f.metadata["kind"],
        f.metadata["help"],
        f.metadata["commands"],
    )
    for f in fields(Settings)
    if "env" in f.metadata
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The table's row for ``name`` (KeyError for an unknown name)."""
    return _BY_NAME[name]


def from_environment(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The value the environment gives one setting, coerced, or None when it gives none."""
    spec = _BY_NAME[name]
    env = os.environ if environ is None else environ
    return spec.coerce(env[spec.env]) if spec.env in env else None


def settings_markdown_table() -> str:
    """The settings table of docs/settings.md."""
    lines = [
        "| setting | flag | environment variable | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "(none)" if s.default in (None, ()) else f"`{s.default}`"
        flag = f"`{s.flag}`" if s.flag else "(none)"
        commands = f" (`kg {'`, `kg '.join(s.commands)}`)" if s.flag else ""
        lines.append(f"| {s.name} | {flag}{commands} | `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"
