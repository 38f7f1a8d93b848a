"""``kg ingest``, ``kg precompute`` and ``kg compact``: profiles into the store, then each
checkpoint's search index and whole-graph reports before it is published."""

from __future__ import annotations

import functools
import shutil
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, cast

import click

from kg.cli.common import (
    _as_of,
    _base_iri,
    _check_ingest_inputs,
    _location,
    _new_folder,
    _open_store,
    _precompute,
    _scheme,
    as_of_option,
    base_option,
    setting_option,
    store_option,
)
from kg.cli.search import update_search_index
from kg.errors import KGError
from kg.store.embedded import PRIMARY, KGStore, published_generation, resolve_store_path
from kg.store.info import record_base_iri
from kg.store.lifetime import release_memory
from kg.store.remote import is_store_url

if TYPE_CHECKING:
    from kg.search.ingested import IngestedGraphs

P = ParamSpec("P")


def _sigterm_as_interrupt(command: Callable[P, None]) -> Callable[P, None]:
    """Run ``command`` with SIGTERM (``systemctl stop``, ``timeout``, ``kill``) taken as Ctrl-C
    is: the ingest stops where it is, and a checkpoint whose search index or reports were
    being made is published before it exits (a second run computes what it lacks), instead
    of the process ending at once with its checkpoint unpublished."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            return command(*args, **kwargs)  # only the main thread may set a handler
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            return command(*args, **kwargs)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@base_option
@as_of_option
@click.option("--prune", is_flag=True, help="Remove graphs of files no longer present in PATHS.")
@click.option(
    "--prune-history",
    is_flag=True,
    help="With --prune: drop a removed profile's history too (by default it is kept).",
)
@click.option(
    "--allow-prune-all",
    is_flag=True,
    help="With --prune: go on when no stored profile is among the files, removing them all "
    "(refused otherwise: an empty, unmounted or wrong folder would empty the store).",
)
@click.option(
    "--dated-crawls",
    is_flag=True,
    help="Each PATH is a folder of crawls in sub-folders named YYYY-MM-DD: ingest them oldest "
    "first, each with its folder's date as --as-of (see docs/history.md).",
)
@click.option("--workers", type=int, default=None, help="Parser processes (default: up to 4).")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@setting_option("curation", type=click.Path(dir_okay=False, path_type=Path))
@setting_option("max_file_bytes", type=click.IntRange(min=0))
@setting_option("parse_timeout", type=click.FloatRange(min=0))
@click.option(
    "--precompute/--no-precompute",
    default=True,
    show_default=True,
    help="Compute the whole-graph reports into the store folder before publishing (kg precompute).",
)
@click.option(
    "--search-index/--no-search-index",
    "search_index",
    default=True,
    show_default=True,
    help="Bring the search index (STORE/search) up to date before publishing (kg search-index).",
)
@_sigterm_as_interrupt
def ingest_command(
    paths: tuple[Path, ...],
    store_path: str | None,
    base_iri: str | None,
    as_of: str | None,
    prune: bool,
    prune_history: bool,
    allow_prune_all: bool,
    dated_crawls: bool,
    workers: int | None,
    progress: bool | None,
    curation: Path | None,
    max_file_bytes: int | None,
    parse_timeout: float | None,
    precompute: bool,
    search_index: bool,
) -> None:
    """Ingest profile files and folders into the store (idempotent).

    A changed profile's previous snapshot is kept in a history graph (docs/history.md).
    """
    # Lazy: identity resolution (rapidfuzz, numpy) would add ~0.3 s to every command.
    from kg.identity.curation import DEFAULT_CURATION
    from kg.pipeline.history import dated_crawls as crawl_folders
    from kg.pipeline.history import in_store_already, snapshot_dates
    from kg.pipeline.identity import IdentityResolution
    from kg.pipeline.ingest import IngestReport, discover, ingest
    from kg.pipeline.limits import FileLimits

    if prune_history and not prune:
        raise click.BadParameter("--prune-history needs --prune", param_hint="--prune-history")
    if allow_prune_all and not prune:
        raise click.BadParameter("--allow-prune-all needs --prune", param_hint="--allow-prune-all")
    # One run per crawl date, oldest first: (as-of, paths).
    runs: list[tuple[date, list[Path]]] = []
    if dated_crawls:
        if as_of:
            raise click.BadParameter(
                "--dated-crawls takes each crawl's date from its folder name", param_hint="--as-of"
            )
        by_day: dict[date, list[Path]] = {}
        for path in paths:
            try:
                for day, crawl in crawl_folders(path):
                    by_day.setdefault(day, []).append(crawl)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--dated-crawls") from error
        runs = sorted(by_day.items())
    else:
        runs = [(_as_of(as_of), list(paths))]
    _check_ingest_inputs(runs, allow_empty=prune and allow_prune_all)

    if curation is not None and not curation.is_file():
        raise click.BadParameter(f"no such file: {curation}", param_hint="--curation")
    if curation is None and Path(DEFAULT_CURATION).is_file():
        curation = Path(DEFAULT_CURATION)
    # The store's recorded base unless one is given (a different one is refused): one store,
    # one URI space, so that every later command finds what this ingest minted.
    scheme = _scheme(_base_iri(store_path, base_iri))
    created = None if is_store_url(store_path) else _new_folder(resolve_store_path(store_path))
    # ingest and its resolution step are annotated with KGStore; an external store's RemoteStore
    # provides the same interface (kg.store.embedded.GraphStore, checked by mypy in kg.store.remote).
    store = cast(KGStore, _open_store(store_path, writable=True, base_iri=scheme.base))
    if isinstance(store, KGStore) and store.folder is not None:
        # An external store records its base in the {base}graph/_meta graph that ingest writes.
        try:
            record_base_iri(store.folder, scheme.base)
        except BaseException:
            store.close()
            raise
    folder = _location(store)
    resolution = IdentityResolution(curation)
    report = IngestReport()
    generation: str | None = None  # the checkpoint this ingest made, published last
    failed: list[Any] = []  # the failed outcomes of every crawl
    written: set[str] = set()  # the source graphs the crawls wrote (for the search index)
    # A first build makes its documents from the triples this ingest writes (not read back
    # from the store): worth it for one run into our own store; it gives up by itself as
    # soon as the store held, replaced or removed anything it was not shown.
    ingested = None
    if search_index and len(runs) == 1 and isinstance(store, KGStore) and store.folder is not None:
        from kg.search.ingested import IngestedGraphs

        # Its scratch database beside the index it is for (on the store's disk).
        ingested = IngestedGraphs(store.folder / "search", base=scheme.base)
        # Let go of its scratch database however the command ends (an early exit, an error):
        # the index closes it as soon as it is built. By a weak reference: the ingest lets go
        # of it before the precompute, and nothing is to keep it alive.
        click.get_current_context().call_on_close(
            functools.partial(_close_if_alive, weakref.ref(ingested))
        )
    # A folder of crawls ingested again (a monthly job over all its crawls): a crawl whose
    # every page the store holds as copied later, or that day from the same bytes, is in it
    # already (replayed, its older copies would be refused or change nothing). A crawl with
    # any other page is ingested.
    stored: dict[str, tuple[date, str]] = {}
    if dated_crawls:
        try:
            dates = snapshot_dates(store, scheme)
            stored = {
                state.source: (dates[state.source], state.sha256)
                for state in store.sources().values()
                if state.source in dates
            }
        except BaseException:
            store.close()
            raise
    ingested_runs = 0
    try:
        for day, run_paths in runs:
            files = discover(run_paths)[0] if dated_crawls else []
            if in_store_already(files, stored, day):
                click.echo(
                    f"crawl {day.isoformat()}: skipped, in the store already (each of its "
                    f"{len(files)} profile files, or a later copy of it); crawls are ingested "
                    "once, oldest first"
                )
                continue
            ingested_runs += 1
            report = ingest(
                run_paths,
                store,
                scheme=scheme,
                as_of=day,
                prune=prune,
                prune_history=prune_history,
                progress=progress,
                workers=workers,
                resolution=resolution,
                limits=FileLimits.of(max_file_bytes, parse_timeout),
                observer=ingested,
                prune_all=allow_prune_all,
                # Published below, once its search index and reports are ready.
                publish=False,
            )
            failed.extend(o for o in report.outcomes if o.failed)
            written.update(
                scheme.graph(o.source)
                for o in report.outcomes
                if o.status in ("added", "replaced", "removed")
            )
            if len(runs) > 1:
                click.echo(f"crawl {day.isoformat()}: {report.summary()}")
        # The checkpoint readers will open: made now, published last (nothing written and
        # everything published: the same checkpoint, ETags, dumps and reports, so that an
        # hourly cron job does not defeat every harvester's cache).
        if (
            isinstance(store, KGStore)
            and store.folder is not None
            and (store.has_unpublished_writes or published_generation(store.folder) is None)
        ):
            generation = store.unpublished_checkpoint() or store.checkpoint()
    except OSError as error:
        # A full disk, a read-only or vanished store folder: every write is one commit
        # and readers open the published checkpoint only, so the store stays intact.
        store.close()
        store_folder = getattr(store, "folder", None)
        published = published_generation(store_folder) if store_folder is not None else None
        click.echo(
            f"error: cannot write the store {folder}: {error.strerror or error}; the store is "
            f"intact (published checkpoint: {published or 'none'}): free space and run "
            "kg ingest again",
            err=True,
        )
        sys.exit(1)
    except BaseException:
        store.close()
        raise
    for problem in resolution.problems:
        click.echo(f"identity: {problem}", err=True)
    stale = resolution.stale_elsewhere
    if stale:
        click.echo(
            f"identity: {len(stale)} stored source(s) not named in this ingest would change; "
            f"ingest them again: {', '.join(sorted(stale)[:10])}",
            err=True,
        )
    for outcome in failed:
        for failure in outcome.failures:
            where = outcome.path or outcome.source
            click.echo(f"{where}:{failure.line}: {failure.reason}", err=True)
        if outcome.status == "failed" and not outcome.failures:
            click.echo(f"{outcome.path}: failed", err=True)
    if ingested_runs:
        click.echo(f"ingest into {folder}: {report.summary()}")
    else:
        click.echo(f"ingest into {folder}: every crawl is in the store already")
    if isinstance(store, KGStore):
        _say_compacted(store)
    if created is not None and not written:
        # A first ingest that stored nothing (a file that is no profile): no empty store is
        # left behind for a server to serve as if it were the data.
        store.close()
        shutil.rmtree(created, ignore_errors=True)
        click.echo(f"nothing was stored: no store was created at {folder}", err=True)
        sys.exit(1 if failed else 0)
    exit_code = 0 if not failed else 1
    own = store.folder if isinstance(store, KGStore) else None
    # The writer stays open (no other ingest starts) until the checkpoint is published:
    # servers keep the previous one, fully indexed and precomputed, until then, instead of
    # running whole-graph reports live for as long as they take (an hour at 1M papers).
    try:
        if search_index and own is not None:
            try:
                update_search_index(
                    own,
                    None,
                    rebuild=False,
                    changed=written,
                    ingested=ingested,
                    generation=generation,
                )
            except KGError as error:
                # The reports are still precomputed and the store published; the index can
                # be brought up to date on its own once the cause is mended.
                click.echo(f"error: {error.detail} (then run `kg search-index`)", err=True)
                exit_code = 1
            finally:
                if ingested is not None:
                    ingested.close()  # its statements put aside on disk: read
        if precompute and own is not None and (generation or published_generation(own)):
            # Also when this ingest wrote nothing: an earlier one may have been stopped in
            # its precompute (what that wrote is kept; only the rest is computed).
            # The search index first, so that the ingest's triples it reads are let go with
            # the rest of what the ingest held before the report workers start.
            del ingested, resolution, report, failed
            release_memory()
            _precompute(own, scheme, generation=generation)
    finally:
        # Stopped or failed in the reports (Ctrl-C, a broken query): the data is whole, so
        # it is published; a second run computes the reports it lacks.
        try:
            if generation is not None:
                store.publish(generation)
                if own is not None:
                    # The reports of checkpoints just deleted (one never published, of a
                    # writer killed before it published, among them). Lazy: the report
                    # engines' imports, as _precompute's.
                    from kg.reports.precompute import remove_stale

                    remove_stale(own)
        except OSError as error:
            click.echo(
                f"error: cannot publish checkpoint {generation} of the store {folder}: "
                f"{error.strerror or error}; free space and run kg ingest again",
                err=True,
            )
            exit_code = 1
        finally:
            store.close()
    sys.exit(exit_code)


def _close_if_alive(observer: weakref.ref[IngestedGraphs]) -> None:
    alive = observer()
    if alive is not None:
        alive.close()


@click.command("precompute")
@store_option
@base_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes computing the reports  [default: the number of CPUs]",
)
def precompute_command(store_path: str | None, base_iri: str | None, workers: int | None) -> None:
    """Compute the whole-graph reports of the store's newest checkpoint into the store folder.

    `kg ingest` does this after each ingest; run it after changing queries/ or upgrading.
    Files the checkpoint already has, computed from the same queries and code, are kept.
    """
    if is_store_url(store_path):
        raise click.UsageError("an external store has no folder to keep precomputed reports in")
    _precompute(resolve_store_path(store_path), _scheme(_base_iri(store_path, base_iri)), workers)


def _say_compacted(store: KGStore) -> None:
    """Say what the compaction before the checkpoint took, if one was made (on standard error,
    as the search index and the reports do)."""
    compaction = store.bulk_loads.last
    if compaction is None:
        return
    plural = "s" if compaction.loads != 1 else ""
    loads = (
        f"the files of {compaction.loads} bulk load{plural} "
        f"({compaction.loaded_bytes / 1e6:,.1f} MB of N-Quads, the store's "
        if compaction.loads
        else "its files (the store's "
    )
    click.echo(
        f"store: {loads}{compaction.store_bytes / 1e6:,.1f} MB) merged before the checkpoint in "
        f"{compaction.seconds:.1f} s (CPU {compaction.cpu_seconds:.2f} s; docs/store.md)",
        err=True,
    )


@click.command("compact")
@store_option
@base_option
@_sigterm_as_interrupt
def compact_command(store_path: str | None, base_iri: str | None) -> None:
    """Merge the store's files and publish the result, with its search index and reports.

    `kg ingest` does this after loads of a tenth of the store or more. Run it after many small
    crawls, or once on a store made before 2026-12-07: its readers then answer faster
    (docs/store.md). It takes the write lock (no ingest meanwhile), minutes and about the
    store's size in free disk at a million papers; servers keep serving the previous
    checkpoint until the new one is published.
    """
    if is_store_url(store_path):
        raise click.UsageError("an external store merges its own files: nothing to do here")
    folder = resolve_store_path(store_path)
    if not (folder / PRIMARY).is_dir():
        raise KGError(f"no store at {folder}: run `kg ingest PATH --store {folder}` first")
    scheme = _scheme(_base_iri(store_path, base_iri))
    # What the store keeps beside its data (an ingest may have been told not to) is kept up:
    # copied or found unchanged, since the data is the same.
    from kg.reports.stored import PRECOMPUTED  # lazy, as the report engines

    published = published_generation(folder)
    precomputed = published is None or (folder / PRECOMPUTED / published).is_dir()
    indexed = (folder / "search").is_dir()
    store = KGStore.open_writable(folder)
    generation: str | None = None
    try:
        if store.has_unpublished_writes and store.unpublished_checkpoint() is None:
            # Killed part way, maybe: only the ingest itself knows how to end it.
            raise KGError(
                f"an ingest into {folder} was stopped before it finished: run it again first "
                "(it ends what was stopped), then kg compact"
            )
        if not store.has_unpublished_writes and published is None:
            raise KGError(f"no data in store {folder}: run `kg ingest PATH --store {folder}` first")
        store.bulk_loads.requested = True
        # Ctrl-C during the compaction: the checkpoint is made and published once it ends.
        store.bulk_loads.finish_when_interrupted = True
        store.bulk_loads.after_stop = "run kg compact again"
        try:
            generation = store.checkpoint()
        except OSError as error:
            raise KGError(
                f"cannot compact the store {folder}: {error.strerror or error}; the store is "
                "intact: free space (about its size) and run kg compact again"
            ) from error
        _say_compacted(store)
        if indexed:
            update_search_index(folder, None, rebuild=False, generation=generation)
        if precomputed:
            _precompute(folder, scheme, generation=generation)
    finally:
        try:
            if generation is not None:  # the data is whole: published, even if stopped above
                store.publish(generation)
                from kg.reports.precompute import remove_stale  # lazy, as _precompute's

                remove_stale(folder)
        finally:
            store.close()
    click.echo(f"compacted {folder}: checkpoint {generation} published")
    if store.bulk_loads.interrupted:
        click.echo("stopped as asked, once the compaction had ended", err=True)
        sys.exit(1)
