"""``kg search`` and ``kg search-index``: the full-text index beside the store."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from kg.cli.common import (
    _open_store,
    setting_option,
    store_base_option,
    store_option,
)
from kg.errors import KGError
from kg.store.changes import checkpointed
from kg.store.embedded import (
    KGStore,
    published_generation,
    resolve_store_path,
)
from kg.store.query import LocalBackend
from kg.store.remote import RemoteBackend, RemoteStore, is_store_url

if TYPE_CHECKING:
    from kg.search.ingested import IngestedGraphs


def update_search_index(
    folder: Path,
    index: Path | None,
    *,
    rebuild: bool,
    changed: Collection[str] = (),
    ingested: IngestedGraphs | None = None,
    generation: str | None = None,
) -> None:
    """Bring the search index of an embedded store up to its published version (or to
    checkpoint ``generation``, which ``kg ingest`` indexes before it publishes it).

    ``changed``: graphs the ingest wrote (the index also finds them by their fingerprints);
    ``ingested``: their triples, for a first build (kg.search.ingested).
    """
    # Lazy: a stage only some commands run (start-up time of kg --help and the store commands).
    from kg.search.index import update_index

    started, cpu = time.perf_counter(), time.process_time()
    where = index or folder / "search"
    store = KGStore.open_readonly(folder, generation)
    try:
        update = update_index(
            where,
            LocalBackend(store),
            store_version=store.generation,
            rebuild=rebuild,
            changed_graphs=changed,
            ingested=ingested,
        )
    except OSError as error:  # the operator's to mend (a file in its place, a full disk)
        raise KGError(
            f"search index {where} not updated: {error.strerror or error}"
            + (f": {error.filename}" if error.filename else "")
        ) from error
    finally:
        store.close()
    # CPU beside the wall clock (a shared machine's load distorts it less); with the
    # ingest's triples, also what taking them in cost during the ingest.
    spent = time.process_time() - cpu
    taken = (
        f", documents from the ingest's triples, read in {ingested.cpu_seconds:.2f} s"
        if ingested is not None and update.from_ingest
        else ""
    )
    if ingested is not None and ingested.scratch_error is not None:
        click.echo(
            f"warning: the ingest's triples could not be put aside for the search index "
            f"({ingested.scratch_error}): it was read from the store",
            err=True,
        )
    click.echo(
        f"search index: {update.documents} entities ({update.added} added, {update.changed} changed, "
        f"{update.removed} removed) in {time.perf_counter() - started:.1f} s "
        f"(CPU {spent:.2f} s{taken})",
        err=True,
    )


@click.command("search-index")
@store_option
@store_base_option
@setting_option("search_index", "index_path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--rebuild", is_flag=True, help="Rebuild from scratch instead of updating what changed."
)
def search_index_command(store_path: str | None, index_path: Path | None, rebuild: bool) -> None:
    """Build or update the full-text search index of the store (kg search, /search)."""
    # Lazy: a stage only some commands run (start-up time of kg --help and the store commands).
    from kg.search.index import SearchIndex, update_index

    if is_store_url(store_path):
        if index_path is None:
            raise click.UsageError("--search-index-dir FOLDER is required with an external store")
        store = _open_store(store_path)
        update = update_index(index_path, RemoteBackend(cast(RemoteStore, store)), rebuild=rebuild)
        click.echo(f"search index {index_path}: {update.documents} entities", err=True)
        return
    folder = resolve_store_path(store_path)
    published = published_generation(folder)
    if published is None:
        raise click.UsageError(f"no published store in {folder}: run `kg ingest` first")
    where = index_path or folder / "search"
    built = SearchIndex(where).store_version
    if not rebuild and built is not None and built != published and built == checkpointed(folder):
        # An ingest indexes the checkpoint it made before it precomputes and publishes it
        # (or was killed before its publish, and the next run publishes that checkpoint as
        # it is): brought back to the published one, the index would be one behind then.
        # A checkpoint a later write abandoned is no longer noted: updated as any other.
        click.echo(
            f"search index {where}: built for checkpoint {built}, which an ingest made and "
            f"publishes next (the published one is {published}): left as it is",
            err=True,
        )
        return
    update_search_index(folder, index_path, rebuild=rebuild)


@click.command("search")
@click.argument("text")
@store_option
@setting_option("search_index", "index_path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--type",
    "kind",
    type=click.Choice(["paper", "author", "organization", "repository", "subject"]),
)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def search_command(
    text: str,
    store_path: str | None,
    index_path: Path | None,
    kind: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Full-text search: papers, authors, organizations, repositories, subjects (typos forgiven)."""
    # Lazy: a stage only some commands run (start-up time of kg --help and the store commands).
    from kg.search.index import Filters, SearchIndex
    from kg.search.query import SearchQueryError

    folder = index_path or resolve_store_path(store_path) / "search"
    index = SearchIndex(folder)
    if not index.exists:
        raise click.UsageError(f"no search index in {folder}: run `kg search-index` first")
    try:
        result = index.search(text, Filters(kind=kind), limit=limit, facets=fmt == "json")
    except SearchQueryError as error:
        raise click.UsageError(str(error)) from error
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "query": result.query,
                    "total": result.total,
                    "hits": [
                        {
                            "iri": h.iri,
                            "type": h.kind,
                            "label": h.label,
                            "score": h.score,
                            "snippet": h.snippet,
                        }
                        for h in result.hits
                    ],
                    "facets": result.facets,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not result.hits:
        click.echo(f"no results for {text!r}")
        return
    width = max(len(h.kind) for h in result.hits)
    for hit in result.hits:
        click.echo(f"{hit.kind:<{width}}  {hit.label}  <{hit.iri}>")
    if result.total > len(result.hits):
        click.echo(f"({result.total} results; --limit shows more)")
