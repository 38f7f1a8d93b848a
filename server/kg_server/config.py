"""Server settings: one table, read once, passed down.

Each setting has a ``kg serve`` flag and an environment variable; the README's
settings table is generated from :data:`SETTINGS` (a test checks that it is).
Precedence: defaults < environment < explicit values (flags, test config).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kg.rdf.iri import DEFAULT_BASE_IRI, normalise_base
from kg.store.embedded import DEFAULT_STORE


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    flag: str
    env: str
    default: Any
    kind: type
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        "--store",
        "KG_STORE",
        DEFAULT_STORE,
        str,
        "Store folder (embedded Oxigraph), or the http(s) URL of an external store's SPARQL 1.1 "
        "query endpoint (README: Beyond one machine).",
    ),
    Setting(
        "update_url",
        "--update-url",
        "KG_UPDATE_URL",
        None,
        str,
        "External store: its SPARQL Update URL (default: the query URL, or .../update beside .../query).",
    ),
    Setting(
        "graph_store_url",
        "--graph-store-url",
        "KG_GRAPH_STORE_URL",
        None,
        str,
        "External store: its Graph Store Protocol URL, used to export graph by graph (optional).",
    ),
    Setting(
        "base_iri",
        "--base-iri",
        "KG_BASE_IRI",
        DEFAULT_BASE_IRI,
        str,
        "Base of minted IRIs; set it to the public address so that IRIs dereference.",
    ),
    Setting("host", "--host", "KG_HOST", "127.0.0.1", str, "Address to listen on."),
    Setting("port", "--port", "KG_PORT", 8000, int, "Port to listen on."),
    Setting("workers", "--workers", "KG_WORKERS", 1, int, "HTTP worker processes."),
    Setting("threads", "--threads", "KG_THREADS", 8, int, "Request threads per HTTP worker."),
    Setting(
        "query_workers",
        "--query-workers",
        "KG_QUERY_WORKERS",
        2,
        int,
        "Query processes per HTTP worker (each query runs in one; a timed-out one is killed).",
    ),
    Setting(
        "query_timeout",
        "--query-timeout",
        "KG_QUERY_TIMEOUT",
        30.0,
        float,
        "Seconds a query may run before it is stopped (503).",
    ),
    Setting(
        "max_rows",
        "--max-rows",
        "KG_MAX_ROWS",
        100_000,
        int,
        "Most solutions or triples one response carries (header X-SPARQL-MaxRows when cut).",
    ),
    Setting(
        "query_memory_mb",
        "--query-memory-mb",
        "KG_QUERY_MEMORY_MB",
        4096,
        int,
        "Address-space cap of each query process, in MiB (0: none).",
    ),
    Setting(
        "max_body_bytes",
        "--max-body-bytes",
        "KG_MAX_BODY_BYTES",
        1_048_576,
        int,
        "Largest request body accepted (413 beyond).",
    ),
    Setting(
        "max_url_length",
        "--max-url-length",
        "KG_MAX_URL_LENGTH",
        16_384,
        int,
        "Longest request URL accepted (414 beyond).",
    ),
    Setting(
        "update_token",
        "--update-token",
        "KG_UPDATE_TOKEN",
        None,
        str,
        "Enables SPARQL Update for requests with `Authorization: Bearer TOKEN`.",
    ),
    Setting(
        "allow_update",
        "--allow-update",
        "KG_ALLOW_UPDATE",
        False,
        bool,
        "Enables SPARQL Update without a token; refused unless the host is a loopback address.",
    ),
    Setting(
        "service_allowlist",
        "--service-allow",
        "KG_SERVICE_ALLOW",
        (),
        tuple,
        "Endpoints that SERVICE may call (space-separated IRIs in the variable); none by default.",
    ),
    Setting(
        "cors_origin",
        "--cors-origin",
        "KG_CORS_ORIGIN",
        "*",
        str,
        "Access-Control-Allow-Origin sent on /sparql and data responses.",
    ),
    Setting(
        "rate_limit",
        "--rate-limit",
        "KG_RATE_LIMIT",
        0.0,
        float,
        "Requests per second allowed per client address (0: no limit).",
    ),
    Setting(
        "license",
        "--license",
        "KG_LICENSE",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        str,
        "License IRI announced in VoID and dumps.",
    ),
    Setting(
        "dumps_dir",
        "--dumps-dir",
        "KG_DUMPS_DIR",
        None,
        str,
        "Folder of generated dumps (default: STORE/dumps).",
    ),
)


def _coerce(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return None
    if setting.kind is bool:
        if isinstance(raw, str):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return bool(raw)
    if setting.kind is tuple:
        if isinstance(raw, str):
            return tuple(part for part in raw.split() if part)
        return tuple(raw)
    return setting.kind(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    store: str = DEFAULT_STORE
    update_url: str | None = None
    graph_store_url: str | None = None
    base_iri: str = DEFAULT_BASE_IRI
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 8
    query_workers: int = 2
    query_timeout: float = 30.0
    max_rows: int = 100_000
    query_memory_mb: int = 4096
    max_body_bytes: int = 1_048_576
    max_url_length: int = 16_384
    update_token: str | None = None
    allow_update: bool = False
    service_allowlist: tuple[str, ...] = ()
    cors_origin: str = "*"
    rate_limit: float = 0.0
    license: str = "https://creativecommons.org/publicdomain/zero/1.0/"
    dumps_dir: str | None = None
    #: Anything else a test or an embedding application wants to pass on.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, then the environment, then ``overrides`` (flags or a test's config)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            if setting.env in env:
                values[setting.name] = _coerce(setting, env[setting.env])
        known = {f.name for f in fields(cls)}
        extra: dict[str, Any] = {}
        for key, value in (overrides or {}).items():
            if key in known and key != "extra":
                spec = next((s for s in SETTINGS if s.name == key), None)
                values[key] = _coerce(spec, value) if spec and value is not None else value
            else:
                extra[key] = value
        settings = cls(**values, extra=extra)
        return replace(settings, base_iri=normalise_base(settings.base_iri))

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


def settings_markdown_table() -> str:
    """The README's settings table."""
    lines = [
        "| setting | flag | environment variable | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "(none)" if s.default in (None, ()) else f"`{s.default}`"
        lines.append(f"| {s.name} | `{s.flag}` | `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"
