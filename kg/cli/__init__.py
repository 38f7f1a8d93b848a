"""The ``kg`` command: parse, ingest, stats, export, query (and more, registered below)."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any, cast

import click
import pyoxigraph as ox

from kg import formats
from kg.cli.common import (
    F,
    _as_of,
    _base_iri,
    _open_store,
    _scheme,
    as_of_option,
    base_option,
    setting_option,
    store_base_option,
    store_option,
)
from kg.cli.history import history_group
from kg.cli.ingest import compact_command, ingest_command, precompute_command
from kg.cli.search import search_command, search_index_command
from kg.errors import KGError
from kg.rdf.iri import IriScheme
from kg.settings import SETTINGS, Settings
from kg.sparql.guard import unauthenticated_update_refusal
from kg.sparql.results import write_boolean
from kg.store.dumps import generate_dumps
from kg.store.embedded import KGStore, published_generation, resolve_store_path
from kg.store.query import LocalBackend, QueryRequest, evaluate
from kg.store.remote import RemoteBackend, RemoteStore, describe_location, is_store_url, open_store
from kg.store.stats import store_stats


class KGGroup(click.Group):
    """Turns project errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGError as error:
            click.echo(f"error: {error.detail}", err=True)
            sys.exit(2)


@click.group(cls=KGGroup)
@click.version_option(package_name="scholarly-kg")
def main() -> None:
    """Scholarly knowledge graph: researcher profile pages -> RDF -> SPARQL, reports, linked data."""


@main.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@as_of_option
def parse_command(files: tuple[Path, ...], fmt: str, as_of: str | None) -> None:
    """Parse profile pages and print what they say (JSON: one object per file).

    FILES may be folders: they are searched as `kg ingest` searches them.
    """
    # Lazy: a stage only some commands run (start-up time of kg --help and the store commands).
    from kg.model import profile_to_json
    from kg.parse import parse_bytes
    from kg.pipeline.ingest import discover

    reference = _as_of(as_of)
    results = []
    any_failure = False
    expanded: list[Path] = []
    for path in files:
        # The same files as ingest: one rule (kg.pipeline.ingest.discover) for what a folder holds.
        if path.is_dir():
            found, refused = discover([path])
            expanded.extend(file for _, file in found)
            # Files ingest refuses for their name (docs/sources.md) still parse on their own.
            expanded.extend(Path(o.path) for o in refused if o.path and Path(o.path).is_file())
        else:
            expanded.append(path)
    for path in expanded:
        try:
            data = path.read_bytes()
        except OSError as error:
            click.echo(f"{path}: error: cannot read: {error.strerror or error}", err=True)
            any_failure = True
            continue
        profile = parse_bytes(data, path.name, as_of=reference)
        any_failure |= bool(profile.failures)
        for failure in profile.failures:
            click.echo(f"{path}:{failure.line}: {failure.reason}", err=True)
        results.append(profile)
    if fmt == "json":
        click.echo(json.dumps([profile_to_json(p) for p in results], ensure_ascii=False, indent=2))
    else:
        for profile in results:
            owner = profile.owner.name or "(unknown)"
            note = " (inferred)" if profile.owner.inferred else ""
            click.echo(
                f"{profile.source}: {owner}{note}, {len(profile.papers)} papers, "
                f"{len(profile.failures)} failures"
            )
            for paper in profile.papers:
                day = paper.date.isoformat() if paper.date else "????-??-??"
                etal = " et al." if paper.authors_truncated else ""
                click.echo(f"  l.{paper.line} {day} {paper.category} {paper.title}")
                click.echo(f"      {', '.join(paper.authors)}{etal}")
    sys.exit(1 if any_failure else 0)


@main.command("resolve")
@store_option
@base_option
@click.option(
    "--report", is_flag=True, help="List every decision with its evidence, and the ambiguous names."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--kind",
    type=click.Choice(
        ["merge", "possibly-same", "distinct", "curated-must-link", "curated-cannot-link"]
    ),
    default=None,
    help="Only this kind.",
)
def resolve_command(
    store_path: str | None, base_iri: str | None, report: bool, fmt: str, kind: str | None
) -> None:
    """Identity decisions of the store (its identity graph): counts, or all of them with --report."""
    # Lazy: identity resolution (rapidfuzz, numpy) would add ~0.3 s to every command.
    from kg.pipeline.identity import decision_report

    store = KGStore.open_readonly(resolve_store_path(store_path))
    data = decision_report(store, _scheme(_base_iri(store_path, base_iri)))
    if kind:
        data["decisions"] = [d for d in data["decisions"] if d["kind"] == kind]
    if fmt == "json":
        click.echo(
            json.dumps(data if report else _decision_counts(data), ensure_ascii=False, indent=2)
        )
        return
    if not report:
        for key, value in _decision_counts(data).items():
            click.echo(f"{key:<32}  {value}")
        return
    for d in data["decisions"]:
        score = f"{d['score']:.3f}" if d["score"] is not None else "-"
        click.echo(f"{d['kind']:<20} {d['method']:<22} {score}  {d['label']}")
        for resource in d["resources"]:
            click.echo(f"    = {resource['iri']}")
        for text in d["evidence"]:
            click.echo(f"    - {text}")
    for entry in data["ambiguous"]:
        click.echo(
            f"{'possibly-ambiguous':<20} {'co-author-communities':<22} {'-':<5}  {entry['name']}"
        )
        click.echo(f"    = {entry['iri']}")
        for text in entry["evidence"]:
            click.echo(f"    - {text}")
    click.echo(
        f"({len(data['decisions'])} decisions, {len(data['ambiguous'])} ambiguous names)", err=True
    )


def _decision_counts(data: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in data["decisions"]:
        key = f"{d['kind']} ({d['method']})"
        counts[key] = counts.get(key, 0) + 1
    counts["possibly-ambiguous names"] = len(data["ambiguous"])
    return dict(sorted(counts.items()))


@main.command("generate")
@click.option(
    "--papers", type=click.IntRange(min=1), required=True, help="Distinct papers to write."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write profiles/**.txt and truth.json into.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--force", is_flag=True, help="Write into a folder that is not empty (files may mix)."
)
@as_of_option
def generate_command(papers: int, out: Path, seed: int, force: bool, as_of: str | None) -> None:
    """Write synthetic profile pages with known truth (identity benchmark, parser fuzzing, scale tests)."""
    # Lazy: a stage only some commands run (start-up time of kg --help and the store commands).
    from kg.tools.generate import DEFAULT_AS_OF, generate

    # A second corpus written over a first mixes their profiles under one truth.json that
    # describes only the second: every benchmark figure over that folder would be wrong.
    if not force and out.is_dir() and any(out.iterdir()):
        raise click.ClickException(
            f"{out} is not empty: choose an empty or new folder (or pass --force)"
        )

    stats = generate(papers, out, seed=seed, as_of=_as_of(as_of) if as_of else DEFAULT_AS_OF)
    click.echo(
        f"wrote {stats.files} profiles ({stats.papers} papers, {stats.listings} listings, "
        f"{stats.mentions} author mentions, {stats.bytes / 1e6:.1f} MB) and truth.json to {out}"
    )


@main.command("stats")
@store_option
@store_base_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def stats_command(store_path: str | None, fmt: str) -> None:
    """Counts of profiles, papers, authors, repositories, ... in the store."""
    store = _open_store(store_path)
    stats = store_stats(store)
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2))
    else:
        width = max(len(k) for k in stats)
        for key, value in stats.items():
            click.echo(f"{key:<{width}}  {value}")


@main.command("export")
@store_option
@store_base_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.key for f in formats.offers(formats.EXPORT)]),
    default=formats.default(formats.EXPORT).key,
    show_default=True,
    help="An RDF format (the whole graph), or a citation format (the papers the filters select).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (default stdout).",
)
@click.option(
    "--dumps",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the gzip-compressed dumps that /dumps serves into this folder instead.",
)
@click.option("--author", metavar="NAME|IRI", help="Citations: only this author's papers.")
@click.option(
    "--subject", metavar="CODE|IRI", help="Citations: only papers in this subject (LG, cs.LG)."
)
@click.option(
    "--organization", metavar="TAG|IRI", help="Citations: only papers of this organization."
)
@click.option(
    "--from-year", type=click.IntRange(1000, 9999), help="Citations: papers of this year or later."
)
@click.option(
    "--to-year", type=click.IntRange(1000, 9999), help="Citations: papers of this year or earlier."
)
def export_command(
    store_path: str | None,
    fmt: str,
    output: Path | None,
    dumps: Path | None,
    author: str | None,
    subject: str | None,
    organization: str | None,
    from_year: int | None,
    to_year: int | None,
) -> None:
    """Stream the whole graph (quad formats keep the named graphs), or write the dumps (--dumps),
    or write the papers as citations (--format bibtex, ris or csljson; --author, --subject,
    --organization, --from-year and --to-year select them, as the reports' parameters do)."""
    filters = {
        "--author": author,
        "--subject": subject,
        "--organization": organization,
        "--from-year": from_year,
        "--to-year": to_year,
    }
    given = [name for name, value in filters.items() if value is not None]
    citation = formats.BY_KEY[fmt].kind == "citation"
    if given and (not citation or dumps is not None):
        citing = ", ".join(f.key for f in formats.offers(formats.EXPORT) if f.kind == "citation")
        raise click.UsageError(
            f"the filters ({', '.join(given)}) select papers: use them with --format {citing}"
        )
    store = _open_store(store_path)
    if dumps is not None:
        manifest = generate_dumps(
            cast(KGStore, store), dumps
        )  # a RemoteStore provides KGStore's interface
        for written in manifest.files:
            click.echo(
                f"wrote {dumps / manifest.generation / written.filename} "
                f"({written.size} bytes, {written.statements} {written.count_of})",
                err=True,
            )
        return
    if citation:
        scheme = _scheme(_base_iri(store_path, click.get_current_context().meta.get("kg.base_iri")))
        body = _citations(store, scheme, fmt, author, subject, organization, from_year, to_year)

        def write(handle: Any) -> None:
            handle.write(body)
    else:

        def write(handle: Any) -> None:
            store.dump(handle, fmt)

    if output is None:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".part")
    try:
        with tmp.open("wb") as handle:
            write(handle)
        os.replace(tmp, output)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"wrote {output}", err=True)


def _citations(
    store: KGStore | RemoteStore,
    scheme: IriScheme,
    fmt: str,
    author: str | None,
    subject: str | None,
    organization: str | None,
    from_year: int | None,
    to_year: int | None,
) -> bytes:
    """The papers the filters select, in the citation format ``fmt``. Names resolve to IRIs
    as the reports' parameters resolve them (kg.reports.params with the store's IRI scheme);
    a filter that selects nothing is an error (a misspelt name, most likely)."""
    from kg.citations.render import render
    from kg.citations.works import load_works
    from kg.reports.params import Parameter, looks_like_iri
    from kg.store.query import LocalBackend

    def resolve(kind: str, option: str, raw: str | None) -> str | None:
        if raw is None:
            return None
        if kind == "organization":
            # The organizations report takes a tag; its IRI is minted from the tag.
            if not looks_like_iri(raw):
                return scheme.organization(raw.strip())
            kind = "iri"
        param = Parameter(option, kind, False, None, None, option)
        return param.parse(raw, scheme)[0]

    if isinstance(store, KGStore):
        backend: Any = LocalBackend(store)
    else:
        from kg.store.remote import RemoteBackend

        backend = RemoteBackend(store)
    chosen = {
        "author": resolve("author", "--author", author),
        "subject": resolve("subject", "--subject", subject),
        "organization": resolve("organization", "--organization", organization),
    }
    works = load_works(
        backend,
        author=chosen["author"],
        subject=chosen["subject"],
        organization=chosen["organization"],
        from_year=from_year,
        to_year=to_year,
        limit=sys.maxsize,
    )
    if not works and any(v is not None for v in (*chosen.values(), from_year, to_year)):
        named = ", ".join(f"--{k} {v}" for k, v in chosen.items() if v is not None)
        years = f" in {from_year or '...'}-{to_year or '...'}" if from_year or to_year else ""
        raise KGError(f"no papers match {named or 'the years'}{years}")
    return render(works, fmt)


@main.command("query")
@click.argument("sparql")
@store_option
@store_base_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", *(f.key for f in formats.offers(formats.SPARQL_RESULTS))]),
    default="table",
    show_default=True,
)
def query_command(sparql: str, store_path: str | None, fmt: str) -> None:
    """Run a SPARQL query (use - to read it from standard input)."""

    text = sys.stdin.read() if sparql == "-" else sparql
    store = _open_store(store_path)
    # Through kg.store.query: a dataset of several graphs (FROM twice) is their merge.
    result = evaluate(store, QueryRequest(text, default_prefixes=True))
    if isinstance(result, ox.QueryBoolean):
        if fmt in ("table", "csv", "tsv"):
            click.echo(str(bool(result)).lower())
        elif fmt == "json":
            click.echo(json.dumps({"boolean": bool(result)}))
        else:
            write_boolean(bool(result), fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return
    if not isinstance(
        result, ox.QuerySolutions
    ):  # CONSTRUCT, DESCRIBE: triples (a stream from an external store)
        ox.serialize(
            result,
            sys.stdout.buffer,
            ox.RdfFormat.TURTLE if fmt == "table" else ox.RdfFormat.N_TRIPLES,
        )
        return
    if fmt != "table":
        results_format = formats.BY_KEY[fmt].results
        assert results_format is not None  # the choices are the results formats
        result.serialize(sys.stdout.buffer, results_format)
        sys.stdout.buffer.flush()
        return
    names = [v.value for v in result.variables]
    rows = [[_cell(row[name]) for name in names] for row in result]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    click.echo(f"({len(rows)} rows)", err=True)


@main.command("report")
@click.argument("name", required=False)
@store_option
@store_base_option
@setting_option("search_index", "index_path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A report parameter (repeatable), e.g. --param author='Weiran Huang'.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def report_command(
    name: str | None,
    store_path: str | None,
    index_path: Path | None,
    params: tuple[str, ...],
    fmt: str,
) -> None:
    """Run a canned report (queries/*.rq) without the server; without NAME, list the reports.

    The rows are those of /reports/NAME on the server (the same runner); JSON is
    the server's JSON document with every row on one page. The search report asks the
    store's search index (STORE/search, or --search-index-dir) when there is one.
    """
    # Lazy: the report engines would add ~0.3-0.6 s to every command.
    from kg.reports.catalog import load_reports
    from kg.reports.render import csv_chunks, result_document, text_table
    from kg.reports.runner import ReportRunner

    scheme = _scheme(_base_iri(store_path, click.get_current_context().meta.get("kg.base_iri")))
    reports = load_reports(scheme=scheme)
    if name is None:
        for report in reports.values():
            args = " ".join(
                f"{p.name}={p.type_label}" + ("" if p.required else "?") for p in report.parameters
            )
            click.echo(f"{report.name:28}  {report.title}" + (f"  [{args}]" if args else ""))
        return
    raw: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        raw[key.strip()] = value
    report = reports.get_report(name)
    store = _open_store(store_path)
    if isinstance(store, KGStore):
        backend: Any = LocalBackend(store)
    else:
        backend = RemoteBackend(store)
    runner = ReportRunner(reports, backend, scheme, text_index=_text_index(store, index_path))
    binding = runner.bind(report, raw)
    result = runner.run(report, binding)
    if fmt == "json":
        document = result_document(report, binding, result, version=runner.version())
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        for chunk in csv_chunks(result):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    else:
        click.echo(text_table(result), nl=False)
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"({len(result.rows)} rows)", err=True)


def _text_index(store: Any, index_path: Path | None) -> Any:
    """The search index the search report (and its "did you mean" hints) asks, if any."""
    # Lazy: tantivy (~20 ms) only for the report command.
    from kg.search.index import SearchIndex

    if index_path is not None:
        return SearchIndex(index_path)
    if isinstance(store, KGStore) and store.folder is not None:
        return SearchIndex(Path(store.folder) / "search")
    return None


def _settings_options(command: F) -> F:
    """One `kg serve` option per setting of kg.settings that serve takes, so flags and docs
    cannot drift. No envvar here: Settings.load reads the environment, under the flags."""
    for spec in reversed(SETTINGS):
        if "serve" in spec.commands:
            command = setting_option(spec.name, envvar=None)(command)
    return command


@main.command("serve")
@_settings_options
def serve_command(**options: Any) -> None:
    """Serve the SPARQL endpoint, reports and linked data under a production WSGI server (granian)."""
    # Lazy: the web application (flask, every blueprint) would add ~1 s to every command.
    from kg_server.config import bind_to_store

    overrides = {key: value for key, value in options.items() if value not in (None, ())}
    # Read once, here: absolute folders, and the base IRI the store records; the workers
    # get the result through the environment.
    settings = bind_to_store(Settings.load(overrides))
    refusal = unauthenticated_update_refusal(
        allow_update=settings.allow_update, update_token=settings.update_token, host=settings.host
    )
    if refusal:
        raise click.UsageError(refusal)
    if settings.updates_enabled and settings.workers > 1 and not is_store_url(settings.store):
        raise click.UsageError(
            "updates need a single writer: use --workers 1 with --update-token/--allow-update"
        )
    if is_store_url(settings.store) or settings.update_url or settings.graph_store_url:
        store = open_store(
            settings.store,
            base_iri=settings.base_iri,
            update_url=settings.update_url,
            graph_store_url=settings.graph_store_url,
        )  # fail early, with a clear message
        shown = describe_location(store)  # an external store's URL without its credentials
        store.close()
    else:
        # Check the folder without opening RocksDB in this process: granian forks its workers,
        # a forked child inherits RocksDB's background threads dead, and the writer that
        # --allow-update/--update-token opens there would then hang on its first flush.
        folder = resolve_store_path(settings.store)
        if published_generation(folder) is None:
            KGStore.open_readonly(folder)  # raises the StoreError that says how to fill the store
        shown = str(folder)
    _check_port_free(settings.host, settings.port)
    os.environ.update(settings.to_environ())

    # Lazy: only serve needs the HTTP server (~0.15 s to import).
    from granian import Granian
    from granian.constants import Interfaces

    click.echo(
        f"serving {shown} on http://{settings.host}:{settings.port}/ "
        f"({settings.workers} worker(s) x {settings.threads} threads)",
        err=True,
    )
    # ASGI, not WSGI: kg_server.serving reads each request body on the event loop under a
    # deadline before a request thread (of --threads) is used, so idle clients hold no thread.
    server = Granian(
        "kg_server.serving:create_asgi_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGINL,
        websockets=False,  # none served; saying so spares granian's notice on every start
        workers=settings.workers,
        respawn_failed_workers=True,
    )
    server.serve()


def _check_port_free(host: str, port: int) -> None:
    """Refuse to start on an address another process listens on.

    granian binds with SO_REUSEPORT, so a second server on a busy port would start
    and the kernel would split the connections between two stores. A probe bound
    without SO_REUSEPORT fails when anything listens there (SO_REUSEADDR only lets
    it past connections of a server that just stopped, in TIME_WAIT). A server that
    takes the port between this check and granian's bind is not caught.
    """
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"cannot listen on {host}:{port}: address already in use (another server?)"
            ) from None
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None


def _cell(term: Any) -> str:
    if term is None:
        return ""
    return str(term.value)


main.add_command(history_group)
main.add_command(ingest_command)
main.add_command(precompute_command)
main.add_command(compact_command)
main.add_command(search_index_command)
main.add_command(search_command)


if __name__ == "__main__":
    main()
