"""``kg history``: the dated snapshots a store keeps (list, drop before a date)."""

from __future__ import annotations

import json
from datetime import date
from typing import cast

import click

from kg.cli.common import (
    _base_iri,
    _open_store,
    _precompute,
    _scheme,
    store_base_option,
    store_option,
)
from kg.store.embedded import (
    KGStore,
)


@click.group("history")
def history_group() -> None:
    """The archived profile snapshots (history graphs, docs/history.md)."""


@history_group.command("list")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["tsv", "json"]),
    default="tsv",
    show_default=True,
    help="tsv: source, snapshot date, graph IRI a line; json: an array of objects.",
)
@store_option
@store_base_option
def history_list_command(output_format: str, store_path: str | None) -> None:
    """List the history graphs: source, snapshot date, graph IRI."""
    from kg.pipeline.history import history_graphs

    store = _open_store(store_path)
    try:
        scheme = _scheme(_base_iri(store_path, click.get_current_context().meta.get("kg.base_iri")))
        graphs = history_graphs(cast(KGStore, store), scheme)
    finally:
        store.close()
    if output_format == "json":
        rows = [
            {"source": item.source, "date": item.day.isoformat(), "graph": item.graph}
            for item in graphs
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for item in graphs:
        click.echo(f"{item.source}\t{item.day.isoformat()}\t{item.graph}")


@history_group.command("drop")
@click.option(
    "--before",
    required=True,
    metavar="YYYY-MM-DD",
    help="Drop the archived snapshots dated before this day (the current state stays).",
)
@click.option("--source", default=None, help="Only this source (a profile's file name).")
@store_option
@store_base_option
def history_drop_command(before: str, source: str | None, store_path: str | None) -> None:
    """Drop archived profile snapshots older than a date, in one transaction, and publish."""
    from kg.pipeline.history import drop_history

    try:
        day = date.fromisoformat(before)
    except ValueError as error:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {before!r}") from error
    scheme = _scheme(_base_iri(store_path, click.get_current_context().meta.get("kg.base_iri")))
    store = cast(KGStore, _open_store(store_path, writable=True, base_iri=scheme.base))
    try:
        dropped = drop_history(store, scheme, before=day, source=source)
        # Not compacted (kg.store.compaction): dropping snapshots is no bulk load.
        published = dropped and store.folder is not None
        generation = store.publish(compact=False) if published else None
    finally:
        store.close()
    click.echo(f"dropped {len(dropped)} archived snapshot(s) dated before {day.isoformat()}")
    if generation is not None and isinstance(store, KGStore) and store.folder is not None:
        _precompute(store.folder, scheme)
