"""History benchmark: what keeping every crawl costs (issue 18).

Run from the repository root::

    python -m bench.history                   # 10k papers, 12 monthly crawls, 10% changing
    python -m bench.history --papers 100000
    python -m bench.history --papers 2000 --crawls 4 --json out.json

A corpus made by ``kg generate`` is crawl 1. Each later crawl (one a month) copies the
previous one as the site prints it on the crawl's date (a date is shown without its year
in the current calendar year only, so the first crawl of a new year shows last year's
yearless dates with their year: ``kg.tools.generate.layout.reprint_dates``) and changes
about ``--change`` of the profiles the way a site does between two copies: a higher
h-index, more citations and papers, and one new paper, of the month before, on the list
(title, abstract and co-author drawn by the generator, as unlike each other as its papers).
Each crawl is ingested as ``kg ingest`` does it (identity pass included, checkpoint
published) into one store folder, with the crawl's date as ``--as-of``. Per crawl:
ingest wall time and CPU time (with the load average before and after), the store's
size on disk (the primary database), its quads, the quads of the history graphs and
their number; and the same against crawl 1. Last, the last crawl alone ingested into a
fresh store (shown as crawl 0): the current state without history, the baseline the
history's cost is measured against.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox

from bench.run import disk_bytes
from kg.pipeline import history
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import PRIMARY, SNAPSHOTS, KGStore, published_generation
from kg.tools.generate import DEFAULT_AS_OF, generate
from kg.tools.generate.abstracts import Vocabulary, abstract
from kg.tools.generate.layout import date_line, reprint_dates
from kg.tools.generate.text import hash_title, unique_title
from kg.tools.generate.western_names import WEST_GIVEN, WEST_SURNAMES

SCHEME = IriScheme("https://kg.example.org/")
_H_INDEX = re.compile(r"^(h-index\s*)(\d+)$", re.M)
_CITATIONS = re.compile(r"^([\d,]+)(\s*citations)$", re.M)
_PAPERS = re.compile(r"^(\d+)(\s*papers)$", re.M)
_LIST = re.compile(r"^(\d+)( Papers)\n\n", re.M)


@dataclass
class Crawl:
    crawl: int
    as_of: str
    changed_files: int
    reprinted_files: int  # unchanged pages whose dates the site prints otherwise (new year)
    ingest_seconds: float
    #: CPU seconds of the ingest (this process, its threads and its worker processes): on a
    #: shared machine the wall time follows the load, the CPU time much less.
    cpu_seconds: float
    #: The 1-minute load average before and after the ingest.
    load: tuple[float, float]
    store_bytes: int
    checkpoint_bytes: int
    quads: int
    history_graphs: int
    history_quads: int
    summary: str


def changed_page(
    text: str, day: date, rng: random.Random, used: set[int], vocabulary: Vocabulary, lab: int
) -> str:
    """The page one month later (copied on ``day``): metrics up, one more paper, of the
    month before, at the top of its list: a title and an abstract drawn as the generator
    draws them (a title unlike every other, ``used`` holding their hashes; an abstract in
    the main topic of the page's lab, ``lab``), the owner and
    a new co-author (papers made alike, same title pattern and abstract, would be compared
    with each other by identity resolution at every crawl, a cost real papers do not have)."""
    text = _H_INDEX.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + rng.randint(0, 2)}", text, 1)
    text = _CITATIONS.sub(
        lambda m: f"{int(m.group(1).replace(',', '')) + rng.randint(5, 200)}{m.group(2)}", text, 1
    )
    text = _PAPERS.sub(lambda m: f"{int(m.group(1)) + 1}{m.group(2)}", text, 1)
    # The owner's name is the first line of a page whose header has one (a page may start
    # with its metrics, or with its first entry: then any name will do).
    first = text.split("\n", 1)[0].strip()
    named = first and _H_INDEX.search(text) and not any(ch.isdigit() for ch in first)
    owner = first if named else "Alex Author"
    published = day - timedelta(days=rng.randint(1, 28))
    title, _ = unique_title(rng, used)
    coauthor = f"{rng.choice(WEST_GIVEN)} {rng.choice(WEST_SURNAMES)}"
    entry = (
        f"{date_line('LG', published, True, day)}\n{title}\n\n{owner}, {coauthor}\n\n"
        f"{abstract(rng, vocabulary.lab_topics(lab)[0], title, None, False)}\n\n"
    )
    match = _LIST.search(text)
    if match is None:
        return text.rstrip("\n") + "\n\n" + entry
    head = f"{int(match.group(1)) + 1}{match.group(2)}\n\n"
    return text[: match.start()] + head + entry + text[match.end() :]


def _month(start: date, months: int) -> date:
    total = start.month - 1 + months
    return date(start.year + total // 12, total % 12 + 1, min(start.day, 28))


def _crawls(
    papers: int, crawls: int, change: float, seed: int, work: Path
) -> Iterator[tuple[int, date, int, int, Path]]:
    """Make the crawls one after the other in one folder: (number, date, changed files,
    files only reprinted, folder)."""
    corpus = work / "corpus"
    # The first crawl is dated the day the generator copies its pages: their yearless dates
    # then resolve as on the site that day, and a month later still to the same years (a
    # corpus dated after its first crawl would have dates "in the future", whose years move
    # from crawl to crawl and make unchanged pages map again).
    start = DEFAULT_AS_OF
    generate(papers, corpus, seed=seed, as_of=start)
    truth = json.loads((corpus / "truth.json").read_text(encoding="utf-8"))
    used = {hash_title(entry[2]) for page in truth["files"] for entry in page["entries"]}
    del truth
    vocabulary = Vocabulary(seed)
    current = work / "crawl"
    shutil.copytree(corpus / "profiles", current)
    files = sorted(current.rglob("*.txt"))
    rng = random.Random(seed)
    printed_on = start
    for number in range(1, crawls + 1):
        day = _month(start, number - 1)
        changed = reprinted = 0
        if number > 1:
            chosen = rng.sample(files, max(1, round(change * len(files))))
            picked = set(chosen)
            # Every page as the site shows it on this crawl's date: byte for byte the previous
            # copy, unless a new year has begun (last year's yearless dates get their year).
            for path in files:
                before = path.read_text(encoding="utf-8")
                after = reprint_dates(before, printed_on, day)
                if after != before:
                    path.write_text(after, encoding="utf-8")
                    reprinted += path not in picked
            for path in chosen:
                text = path.read_text(encoding="utf-8")
                # A page is named {lab:06d}_{owner}_{digest}.txt (kg.tools.generate).
                lab = int(path.name.split("_", 1)[0])
                path.write_text(
                    changed_page(text, day, rng, used, vocabulary, lab), encoding="utf-8"
                )
            changed = len(chosen)
        printed_on = day
        yield number, day, changed, reprinted, current


def _cpu() -> float:
    # The workers count once ingest has joined them (its pool is closed when it returns).
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


Timing = tuple[float, float, tuple[float, float], str]  # wall s, CPU s, load, summary


def _ingest(store: KGStore, folder: Path, day: date) -> Timing:
    load = os.getloadavg()[0]
    began, cpu = time.perf_counter(), _cpu()
    report = ingest(
        [folder],
        store,
        scheme=SCHEME,
        as_of=day,
        resolution=IdentityResolution(),
        progress=False,
    )
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    return seconds, cpu, (load, os.getloadavg()[0]), report.summary()


def run(papers: int, crawls: int, change: float, seed: int, work: Path) -> list[Crawl]:
    """Ingest every crawl into one store, then the last crawl alone into a fresh one (the
    baseline: what the current state costs without history), reported as crawl 0."""
    folder = work / "store"
    results: list[Crawl] = []
    store = KGStore.open_writable(folder)  # one writer for all crawls, as a cron job's
    last: tuple[date, Path] | None = None
    for number, day, changed, reprinted, current in _crawls(papers, crawls, change, seed, work):
        timing = _ingest(store, current, day)
        results.append(_measure(store, folder, number, day, (changed, reprinted), timing))
        print(_row(results[-1], results[0]), flush=True)
        last = (day, current)
    store.close()
    assert last is not None
    fresh_folder = work / "fresh"
    fresh = KGStore.open_writable(fresh_folder)
    timing = _ingest(fresh, last[1], last[0])
    results.append(_measure(fresh, fresh_folder, 0, last[0], (0, 0), timing))
    fresh.close()
    print(_row(results[-1], results[0]), flush=True)
    return results


def _measure(
    store: KGStore,
    folder: Path,
    number: int,
    day: date,
    changed: tuple[int, int],
    timing: Timing,
) -> Crawl:
    seconds, cpu, load, summary = timing
    graphs = history.history_graphs(store, SCHEME)
    rows = store.query(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?q ?o } "
        "FILTER(STRSTARTS(STR(?g), ?p)) } GROUP BY ?p",
        substitutions={"p": ox.Literal(SCHEME.history_graphs())},
    )
    history_quads = sum(int(r["n"].value) for r in rows)
    quads = store.count_quads()
    store.flush()
    return Crawl(
        number,
        day.isoformat(),
        *changed,
        round(seconds, 2),
        round(cpu, 2),
        load,
        disk_bytes(folder / PRIMARY),
        disk_bytes(folder / SNAPSHOTS / (published_generation(folder) or "none")),
        quads,
        len(graphs),
        history_quads,
        summary,
    )


def _row(c: Crawl, first: Crawl) -> str:
    return (
        f"| {c.crawl or 'last crawl alone, fresh store'} | {c.as_of} | {c.changed_files} "
        f"| {c.reprinted_files} "
        f"| {c.ingest_seconds:.1f} "
        f"({c.ingest_seconds / first.ingest_seconds:.2f}x) | {c.cpu_seconds:.1f} "
        f"({c.cpu_seconds / first.cpu_seconds:.2f}x) | {c.load[0]:.1f}-{c.load[1]:.1f} "
        f"| {c.store_bytes / 1e6:.1f} "
        f"({c.store_bytes / first.store_bytes:.2f}x) | {c.checkpoint_bytes / 1e6:.1f} "
        f"({c.checkpoint_bytes / first.checkpoint_bytes:.2f}x) "
        f"| {c.quads:,} ({c.quads / first.quads:.3f}x) "
        f"| {c.history_graphs} | {c.history_quads:,} |"
    )


HEADER = (
    "| crawl | as of | changed files | only reprinted | ingest s (vs 1st) | CPU s (vs 1st) | load | database MB (vs 1st) "
    "| checkpoint MB (vs 1st) | quads (vs 1st) | history graphs | history quads |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--crawls", type=int, default=12)
    parser.add_argument("--change", type=float, default=0.10, help="share of profiles changing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-history-") as tmp:
        print(HEADER, flush=True)
        results = run(args.papers, args.crawls, args.change, args.seed, Path(tmp))
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "papers": args.papers,
                    "change": args.change,
                    "crawls": [asdict(r) for r in results],
                },
                indent=2,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
