"""What every blueprint shares: the store, the settings and the IRI scheme of one application.

:func:`kg_server.app.create_app` builds one :class:`KGContext` and keeps it on the app; the
blueprints reach it through :func:`kg_context`. It lives here, below the blueprints and the
factory, so that the factory imports the blueprints and nothing imports the factory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from kg.rdf.iri import IriScheme
from kg.store.embedded import GraphStore
from kg.store.query import QueryBackend
from kg_server.config import Settings


@dataclass(slots=True)
class KGContext:
    """What every blueprint needs, built once per process by :func:`create_app`."""

    settings: Settings
    scheme: IriScheme
    #: The application's own queries (reports, linked data, pages).
    backend: QueryBackend
    #: The store updates go to (the embedded store's primary, or an external store), if enabled.
    writer: GraphStore | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Query text written by clients (/sparql, the query page): a lane of its own when the
    #: backend has one (:class:`kg.store.querypool.LanedBackend`), else the same backend.
    client_backend: QueryBackend | None = None

    @property
    def clients(self) -> QueryBackend:
        return self.client_backend if self.client_backend is not None else self.backend


def kg_context() -> KGContext:
    """The context of the application handling the current request."""
    context: KGContext = current_app.extensions["kg"]
    return context
