"""``/dumps``: the whole graph as gzip-compressed N-Quads, TriG and Turtle files.

Routes:

* ``GET /dumps`` lists the files (HTML for browsers, JSON otherwise; also
  ``/dumps.json`` and ``/dumps.html``): size, statement count, SHA-256,
  generation date, and the store checkpoint they were made from;
* ``GET /dumps/kg.nq.gz``, ``/dumps/kg.trig.gz``, ``/dumps/kg.ttl.gz``: the files,
  as ``application/gzip`` downloads (``Content-Disposition: attachment``), not
  with ``Content-Encoding: gzip``: clients then keep the bytes whose SHA-256 the
  listing gives, and nothing unpacks a large file on the fly by surprise. The
  type of the unpacked content is in the listing (``content_type``).
  ``Repr-Digest`` carries the SHA-256; ``ETag``, ``Last-Modified`` and ranges
  work as for any static file.

Freshness: the files are those of :mod:`kg.store.dumps` in ``settings.dumps_dir``
(default ``STORE/dumps``). When the store's published checkpoint (the backend's
``version()``) is newer than the files, the first request starts one
background build (one per process; a file lock keeps two processes from
writing the same generation) and waits for it at most the ``dump_wait`` setting.
Until it is done, the previous files are served (the listing says
``"stale": true``), or, if there are none yet, a 503 with ``Retry-After``.
A request never waits longer than that, and never sees a half-written file.
``kg export --dumps DIR`` writes the same files ahead of time (at ingest).
With an external store (``--store URL``) the files are dumped from it over
HTTP, into the ``dumps_dir`` setting (``KG_DUMPS_DIR``, required there).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, send_file

from kg import formats
from kg.errors import NotFound, ServiceUnavailable
from kg.store.dumps import (
    BY_FILENAME,
    DUMP_FORMATS,
    GZIP_MEDIA_TYPE,
    DumpFile,
    Manifest,
    dump_path,
    generate_dumps,
    read_manifest,
)
from kg.store.remote import is_store_url, open_store
from kg_server import negotiation
from kg_server.config import Settings
from kg_server.context import kg_context
from kg_server.void import schema_dataset

log = logging.getLogger(__name__)

blueprint = Blueprint("dumps", __name__)

#: After a failed build, how long before a request may try again.
RETRY_FAILED_SECONDS = 60.0
_SERVICE_KEY = "kg_dumps"
_service_lock = threading.Lock()


def dumps_folder() -> Path | None:
    """``settings.dumps_dir``, or ``dumps`` inside the store folder; None for an
    external store (a URL) without ``dumps_dir``."""
    settings = kg_context().settings
    if settings.dumps_dir:
        return Path(settings.dumps_dir)
    return None if is_store_url(settings.store) else Path(settings.store) / "dumps"


class DumpService:
    """Keeps one process's dumps in step with the store, building in the background."""

    def __init__(self, folder: Path | None, settings: Settings):
        self.folder = folder
        self.settings = settings
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failed: dict[str, float] = {}
        self.last_error: str | None = None

    @property
    def building(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def current(self, version: str, *, wait: float) -> Manifest | None:
        """The newest complete dumps, after starting a build if they are older than ``version``
        and waiting for it at most ``wait`` seconds."""
        if self.folder is None:
            self.last_error = (
                "an external store's dumps need a folder: set KG_DUMPS_DIR (dumps_dir)"
            )
            return None
        manifest = read_manifest(self.folder)
        if manifest is not None and manifest.generation == version:
            return manifest
        thread = self._start(version)
        if thread is not None and wait > 0:
            thread.join(wait)
        return read_manifest(self.folder)

    def _start(self, version: str) -> threading.Thread | None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self._thread
            failed_at = self._failed.get(version)
            if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_SECONDS:
                return None
            self._thread = threading.Thread(
                target=self._build, args=(version,), name="kg-dumps", daemon=True
            )
            self._thread.start()
            return self._thread

    def _build(self, version: str) -> None:
        settings = self.settings
        assert self.folder is not None
        try:
            # The embedded store's newest checkpoint, or the external store (--store URL).
            store = open_store(
                settings.store,
                base_iri=settings.base_iri,
                update_url=settings.update_url,
                graph_store_url=settings.graph_store_url,
            )
            try:
                manifest = generate_dumps(store, self.folder)
            finally:
                store.close()
            self.last_error = None
            log.info("dumps of generation %s written to %s", manifest.generation, self.folder)
        except Exception as error:  # a background thread reports, never raises
            self._failed[version] = time.monotonic()
            self.last_error = str(getattr(error, "detail", error))
            log.exception("writing the dumps into %s failed", self.folder)


def service() -> DumpService:
    """This application's dump service (made on first use)."""
    extensions = current_app.extensions
    with _service_lock:
        found: DumpService | None = extensions.get(_SERVICE_KEY)
        if found is None:
            found = DumpService(dumps_folder(), kg_context().settings)
            extensions[_SERVICE_KEY] = found
    return found


def _wait_seconds() -> float:
    return kg_context().settings.dump_wait


def current_manifest() -> tuple[Manifest | None, bool]:
    """The dumps to serve and whether they are older than the store."""
    version = kg_context().backend.version()
    manifest = service().current(version, wait=_wait_seconds())
    return manifest, manifest is None or manifest.generation != version


def _unavailable() -> ServiceUnavailable:
    error = service().last_error
    detail = "the dumps are being generated; try again shortly"
    if error and not service().building:
        detail = f"the dumps could not be generated: {error}"
    return ServiceUnavailable(detail, retry_after=5)


@dataclass(frozen=True, slots=True)
class DumpEntry:
    """One row of the listing."""

    key: str
    title: str
    filename: str
    path: str
    url: str
    content_type: str
    size: int
    sha256: str
    statements: int
    count_of: str


def _entries(manifest: Manifest) -> list[DumpEntry]:
    base = kg_context().scheme.base
    entries = []
    for fmt in DUMP_FORMATS:
        written: DumpFile | None = manifest.file(fmt.key)
        if written is None:
            continue
        entries.append(
            DumpEntry(
                key=fmt.key,
                title=fmt.title,
                filename=fmt.filename,
                path=f"{request.script_root}/dumps/{fmt.filename}",
                url=f"{base}dumps/{fmt.filename}",
                content_type=fmt.media_type,
                size=written.size,
                sha256=written.sha256,
                statements=written.statements,
                count_of=written.count_of,
            )
        )
    return entries


def listing_json(manifest: Manifest, stale: bool) -> dict[str, Any]:
    settings = kg_context().settings
    return {
        "generation": manifest.generation,
        "generated": manifest.generated,
        "stale": stale,
        "triples": manifest.triples,
        "quads": manifest.quads,
        "license": settings.license,
        "media_type": GZIP_MEDIA_TYPE,
        "void": f"{kg_context().scheme.base}.well-known/void",
        "dumps": [
            {
                "format": e.key,
                "title": e.title,
                "filename": e.filename,
                "url": e.url,
                "path": e.path,
                "media_type": GZIP_MEDIA_TYPE,
                "content_type": e.content_type,
                "size": e.size,
                "sha256": e.sha256,
                "statements": e.statements,
                "count_of": e.count_of,
                "generated": manifest.generated,
            }
            for e in _entries(manifest)
        ],
    }


@blueprint.get("/dumps")
@blueprint.get("/dumps." + negotiation.extension_rule(formats.DUMP_LIST))
def listing(extension: str | None = None) -> Response:
    """The dump files with size, count, SHA-256 and date (JSON, or HTML for a browser)."""
    if extension is not None:
        fmt, negotiated = formats.lookup(extension, formats.offers(formats.DUMP_LIST)), False
    else:
        fmt, negotiated = negotiation.for_request(formats.DUMP_LIST).format, True
    manifest, stale = current_manifest()
    if fmt.key == "html":
        body = render_template(
            "dumps.html",
            manifest=manifest,
            entries=_entries(manifest) if manifest else [],
            stale=stale,
            building=service().building,
            license=kg_context().settings.license,
            jsonld=schema_dataset(),
        )
        response = Response(body, status=200 if manifest else 503, content_type=fmt.content_type)
        if manifest is None:
            response.headers["Retry-After"] = "5"
    else:
        if manifest is None:
            raise _unavailable()
        response = current_app.response_class(
            current_app.json.dumps(listing_json(manifest, stale)), content_type=fmt.media_type
        )
        response.headers["Access-Control-Allow-Origin"] = kg_context().settings.cors_origin
    if negotiated:
        response.vary.add("Accept")
    response.cache_control.no_cache = True
    return response


def _download_name(manifest: Manifest, filename: str) -> str:
    """``scholarly-kg-2026-11-21.nq.gz`` for ``kg.nq.gz``: the date tells copies apart."""
    try:
        day = datetime.fromisoformat(manifest.generated).date().isoformat()
    except ValueError:
        day = manifest.generation
    return f"scholarly-kg-{day}.{filename.split('.', 1)[1]}"


@blueprint.get("/dumps/<name>")
def download(name: str) -> Response:
    """One dump file: ``application/gzip``, as an attachment, with its SHA-256."""
    fmt = BY_FILENAME.get(name)
    if fmt is None:
        raise NotFound(f"no dump named {name!r}; see /dumps")
    manifest, stale = current_manifest()
    if manifest is None:
        raise _unavailable()
    written = manifest.file(fmt.key)
    if written is None:
        raise _unavailable()
    folder = service().folder
    assert folder is not None  # a manifest was read from it
    path = dump_path(folder, manifest, fmt)
    try:
        generated = datetime.fromisoformat(manifest.generated)
    except ValueError:
        generated = None
    response = send_file(
        path,
        mimetype=GZIP_MEDIA_TYPE,
        as_attachment=True,
        download_name=_download_name(manifest, name),
        conditional=True,
        etag=written.sha256,
        last_modified=generated,
        max_age=60,
    )
    digest = base64.b64encode(bytes.fromhex(written.sha256)).decode("ascii")
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["X-Dump-Generation"] = manifest.generation
    response.headers["X-Dump-Content-Type"] = fmt.media_type
    if stale:
        response.headers["X-Dump-Stale"] = "true"
    response.headers["Access-Control-Allow-Origin"] = kg_context().settings.cors_origin
    return response
