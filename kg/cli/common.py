"""What the ``kg`` commands share: the settings' click options, the store a command opens,
the base IRI it mints under, the report precompute that follows a publish."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from kg.errors import KGError
from kg.rdf.iri import IriScheme
from kg.settings import from_environment, setting
from kg.store.embedded import (
    KGStore,
    resolve_store_path,
)
from kg.store.info import resolve_base_iri
from kg.store.remote import RemoteStore, describe_location, is_store_url, open_store


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from error


#: A command function, before or after click wraps it (what click's own decorators take).
F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an option that the command function does not take, for :func:`_open_store`."""
    ctx.meta[f"kg.{param.name}"] = value
    return value


def setting_option(name: str, *param_decls: str, **overrides: Any) -> Callable[[F], F]:
    """The click option of a setting of :mod:`kg.settings`: its flag, environment variable,
    type and help come from the settings table (``overrides`` adjust them per command)."""
    spec = setting(name)
    assert spec.flag is not None, f"setting {name} has no flag"
    options: dict[str, Any] = {
        "envvar": spec.env,
        "default": None,
        "help": f"{spec.help} (env {spec.env})",
    }
    if spec.kind is bool:
        options["is_flag"] = True
    elif spec.kind is tuple:
        options["multiple"] = True
        options["help"] = f"{spec.help} (env {spec.env}; repeatable)"
    else:
        options["type"] = spec.kind
    options.update(overrides)
    return click.option(spec.flag, *(param_decls or (name,)), **options)


def store_option(command: F) -> F:
    """``--store FOLDER|URL``, and ``--update-url`` / ``--graph-store-url`` for an external store."""
    command = setting_option("graph_store_url", expose_value=False, callback=_remember)(command)
    command = setting_option("update_url", expose_value=False, callback=_remember)(command)
    return setting_option("store", "store_path")(command)


#: For commands that mint nothing: the base IRI defaults to the one the store records.
store_base_option = setting_option("base_iri", expose_value=False, callback=_remember)


def _base_iri(location: str | Path | None, explicit: str | None) -> str:
    """The base IRI for the store at ``location``: ``explicit`` or the store's own (kg.store.info)."""
    where = location if is_store_url(location) else resolve_store_path(location)
    assert where is not None
    try:
        return resolve_base_iri(where, explicit)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-iri") from error


def _open_store(
    store_path: str | None, *, writable: bool = False, base_iri: str | None = None
) -> KGStore | RemoteStore:
    """The store ``--store`` names: a folder, or an external store by its query URL."""
    meta = click.get_current_context().meta
    return open_store(
        store_path if is_store_url(store_path) else resolve_store_path(store_path),
        writable=writable,
        base_iri=base_iri or _base_iri(store_path, meta.get("kg.base_iri")),
        update_url=meta.get("kg.update_url"),
        graph_store_url=meta.get("kg.graph_store_url"),
    )


def _location(store: KGStore | RemoteStore) -> str:
    """A store's folder or URL (without credentials), for messages."""
    return describe_location(store)


#: For commands that mint or read IRIs of an embedded store: defaults to the store's own.
base_option = setting_option("base_iri")
as_of_option = click.option(
    "--as-of",
    default=None,
    metavar="YYYY-MM-DD",
    help="Date the pages were copied; dates shown without a year are resolved against it (default today).",
)


def _scheme(base_iri: str) -> IriScheme:
    try:
        return IriScheme(base_iri)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-iri") from error


def _precompute(
    folder: Path, scheme: IriScheme, workers: int | None = None, generation: str | None = None
) -> None:
    """Write the whole-graph reports of the store's newest published checkpoint, or of
    checkpoint ``generation`` (kg.reports.precompute)."""
    # Lazy: the report engines would add ~0.3-0.6 s to every command.
    from kg.reports.precompute import precompute_store

    started = time.perf_counter()
    # The row cap the servers' results are computed for: kg serve --max-rows, or its environment.
    max_rows = from_environment("max_rows") or setting("max_rows").default
    # The ingest is over: its cores are free for the reports (one worker process per report at most).
    generation, written = precompute_store(
        folder,
        scheme,
        max_rows=max_rows,
        workers=workers or os.cpu_count() or 1,
        generation=generation,
    )
    graphs = sum(1 for item in written if item.kind == "graph")
    carried = sum(1 for item in written if item.carried)
    kept = sum(1 for item in written if item.kept)
    if written and kept == len(written):
        click.echo(
            f"the whole-graph reports of checkpoint {generation} are precomputed already "
            f"({kept} files)",
            err=True,
        )
        return
    done = [
        f"{carried} unchanged since the previous checkpoint, copied" if carried else "",
        f"{kept} already there for this checkpoint" if kept else "",
    ]
    click.echo(
        f"precomputed {len(written) - graphs} whole-graph report files"
        + (" and the co-author graph" if graphs else "")
        + f" for checkpoint {generation} in {time.perf_counter() - started:.1f} s"
        + (f" ({'; '.join(d for d in done if d)})" if carried or kept else ""),
        err=True,
    )


def _check_ingest_inputs(runs: list[tuple[date, list[Path]]], *, allow_empty: bool) -> None:
    """Refuse an ingest whose paths are missing or hold nothing, before any store is opened:
    a typo or an unmounted disk then creates, writes and publishes nothing (a wrong path used
    to create an empty store, and with --prune to empty a full one)."""
    from kg.pipeline.ingest import holds_profiles  # lazy, as the ingest command's own imports

    paths = [path for _, run_paths in runs for path in run_paths]
    absent = [str(path) for path in paths if not path.exists()]
    if absent:
        raise KGError(
            f"no such file or folder: {', '.join(absent)}; nothing was ingested "
            "(the store was not opened)"
        )
    if not allow_empty and not any(holds_profiles(path) for path in paths):
        raise KGError(
            f"nothing to ingest: no profile file (*.txt) in {', '.join(map(str, paths))}; "
            "nothing was ingested (the store was not opened)"
        )


def _new_folder(folder: Path) -> Path | None:
    """The outermost of ``folder`` and its parents that does not exist yet (None: it exists),
    so that an ingest that stores nothing can remove the folders it made."""
    created = None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        created = candidate
    return created
