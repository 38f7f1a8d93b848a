"""The server's settings: the project's one table (:mod:`kg.settings`), bound to a store.

:func:`load_settings` reads the settings once (defaults < environment < explicit
values) and completes them from the store they name: the base IRI recorded at
ingest is used unless one was given, and a different explicit one is refused
(:func:`kg.store.info.resolve_base_iri`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kg.settings import SETTINGS, Setting, Settings, settings_markdown_table
from kg.store.info import resolve_base_iri

__all__ = [
    "SETTINGS",
    "Setting",
    "Settings",
    "bind_to_store",
    "load_settings",
    "settings_markdown_table",
]


def bind_to_store(settings: Settings) -> Settings:
    """``settings`` with the base IRI the store records (raises StoreError on a mismatch)."""
    explicit = settings.base_iri if "base_iri" in settings.explicit else None
    base = resolve_base_iri(settings.store, explicit)
    return replace(settings, base_iri=base)


def load_settings(config: Mapping[str, Any] | Settings | None = None) -> Settings:
    """The settings a server runs with: ``config`` over the environment, bound to the store."""
    if isinstance(config, Settings):
        return bind_to_store(config.with_absolute_paths())
    return bind_to_store(Settings.load(config))
