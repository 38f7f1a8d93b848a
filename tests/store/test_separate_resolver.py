"""Pass 1 of a large ingest runs in a process of its own (kg.pipeline.resolver): the store
it makes is the one pass 1 in the ingest's own process makes, and a failure in that
process reaches the caller."""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sized
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest

import kg.store.embedded
from kg.identity.resolve import SourceSummary
from kg.pipeline import identity as identity_module
from kg.pipeline import resolver as resolver_module
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.pipeline.limits import DEFAULT_LIMITS
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore
from kg.tools.generate import generate
from tests.conftest import SEED_AS_OF, TEST_BASE_IRI

SCHEME = IriScheme(TEST_BASE_IRI)
_TIME = re.compile(r'"[0-9-]+T[0-9:.]+Z?"')


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(400, root, seed=5)
    return root / "profiles"


def _ingest(folder: Path, profiles: Path, workers: int) -> tuple[IdentityResolution, set[str]]:
    """Ingest ``profiles``; the resolution step and the store's quads, times of day blanked
    (the parse times: two ingests never share them)."""
    step = IdentityResolution()
    store = KGStore.open_writable(folder)
    try:
        report = ingest(
            [profiles],
            store,
            scheme=SCHEME,
            as_of=SEED_AS_OF,
            workers=workers,
            progress=False,
            resolution=step,
        )
        assert report.ok
        out = io.BytesIO()
        store.dump(out, "nquads")
    finally:
        store.close()
    lines = out.getvalue().decode("utf-8").splitlines()
    return step, {_TIME.sub('"T"', line) for line in lines}


@pytest.mark.parametrize(
    "workers", [pytest.param(1, id="one-parser"), pytest.param(2, id="parser-processes")]
)
def test_a_separate_pass_1_makes_the_same_store(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 10**9)
    here, local = _ingest(tmp_path / "local", corpus, workers)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    apart, separate = _ingest(tmp_path / "separate", corpus, workers)
    assert here.resolution is not None and here.resolution.decisions  # there is something
    assert apart.resolution is None  # it stayed in the child
    identity = f"<{SCHEME.identity_graph()}>"
    assert any(line.endswith(f"{identity} .") for line in separate)
    assert separate == local


def test_the_identity_graph_goes_from_its_file_to_the_store_in_pieces(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass 1 in its own process writes the identity graph to a file; the ingest's process
    hands it to the store as read, never as one list (at 1M papers about 1 GB of lines),
    and the store takes it piece by piece: the same store as pass 1 here makes."""
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 10**9)
    _, local = _ingest(tmp_path / "local", corpus, 1)
    given: list[Iterable[str]] = []
    pieces: list[int] = []
    replace = KGStore.replace_large_graph
    load_piece = KGStore.load_piece

    def watched(self: KGStore, graph: str, ntriples: Iterable[str]) -> None:
        given.append(ntriples)
        replace(self, graph, ntriples)

    def counted(self: KGStore, graph: str, lines: list[str]) -> None:
        pieces.append(len(lines))
        load_piece(self, graph, lines)

    monkeypatch.setattr(KGStore, "replace_large_graph", watched)
    monkeypatch.setattr(KGStore, "load_piece", counted)
    monkeypatch.setattr(kg.store.embedded, "PIECE_QUADS", 100)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    _, separate = _ingest(tmp_path / "separate", corpus, 1)
    assert separate == local
    assert len(given) == 1 and not isinstance(given[0], Sized), given  # a stream, not a list
    identity = f"<{SCHEME.identity_graph()}> ."
    assert sum(pieces) == sum(1 for line in separate if line.endswith(identity))
    assert len(pieces) > 3 and max(pieces) <= 50, pieces


def test_the_separate_process_writes_the_identity_graph_as_it_makes_it(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child writes the identity graph's lines as they are made, never holding them all
    (at 1M papers, as a list, they set pass 1's peak: 320 MiB above resolution's)."""
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 10**9)
    _, local = _ingest(tmp_path / "local", corpus, 1)
    files: list[IO[bytes]] = []
    make_file = tempfile.TemporaryFile
    make_lines = resolver_module.identity_ntriples

    def known_file(*args: Any, **kwargs: Any) -> IO[bytes]:
        made = make_file(*args, **kwargs)
        if kwargs.get("prefix") == "kg-identity-":  # pass 1's, not another's
            files.append(made)
        return made

    def watched_lines(*args: Any, **kwargs: Any) -> Iterator[str]:
        # Runs in the child (forked after the file was made): its writes are seen here.
        for n, line in enumerate(make_lines(*args, **kwargs)):
            if n == 120 and os.fstat(files[0].fileno()).st_size == 0:
                raise AssertionError("120 lines made, none written")
            yield line

    monkeypatch.setattr(resolver_module.tempfile, "TemporaryFile", known_file)
    monkeypatch.setattr(resolver_module, "identity_ntriples", watched_lines)
    monkeypatch.setattr(resolver_module, "WRITE_BATCH", 50)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    _, separate = _ingest(tmp_path / "separate", corpus, 1)
    assert len(files) == 1
    identity = f"<{SCHEME.identity_graph()}> ."
    assert sum(1 for line in separate if line.endswith(identity)) > 120
    assert separate == local


def test_a_failure_after_some_lines_were_written_stores_no_identity_graph(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child fails after it has written part of the identity graph: the failure reaches
    the caller, and the part written is never read (the store has no identity graph)."""
    make_lines = resolver_module.identity_ntriples

    def failing_lines(*args: Any, **kwargs: Any) -> Iterator[str]:
        for n, line in enumerate(make_lines(*args, **kwargs)):
            if n == 120:
                raise ValueError("a bug after 120 lines")
            yield line

    monkeypatch.setattr(resolver_module, "identity_ntriples", failing_lines)
    monkeypatch.setattr(resolver_module, "WRITE_BATCH", 50)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    with pytest.raises(RuntimeError, match="ValueError: a bug after 120 lines"):
        _ingest(tmp_path / "store", corpus, 1)
    store = KGStore.open_writable(tmp_path / "store")
    try:
        assert SCHEME.identity_graph() not in store.named_graphs()
    finally:
        store.close()


def test_a_failed_write_of_the_identity_graph_says_so(tmp_path: Path) -> None:
    """A write that fails (a full disk) is not taken for the parent's end (an OSError in
    the child), which would report no answer with exit code 0."""
    path = tmp_path / "read-only"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(resolver_module.IdentityFileError, match="identity graph"):
            resolver_module._write_lines(iter(["<a> <b> <c> .\n"]), fd)
    finally:
        os.close(fd)


def test_a_full_disk_under_the_identity_graph_reaches_the_caller_as_such(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's temporary file cannot be written (a full disk): the caller gets an
    OSError naming it, which `kg ingest` reports in one line, not "no answer"."""

    def full_disk(out: int, batch: list[str]) -> None:
        raise resolver_module.IdentityFileError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(resolver_module, "_write_batch", full_disk)
    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    with pytest.raises(OSError, match=r"No space left on device \(the identity graph") as raised:
        _ingest(tmp_path / "store", corpus, 1)
    assert raised.value.errno == errno.ENOSPC


def test_a_failure_in_the_separate_process_reaches_the_caller(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(sources: list[SourceSummary], **_: object) -> None:
        raise ValueError("a bug in resolution")

    monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    monkeypatch.setattr(resolver_module, "resolve", broken)  # the child is forked: it has it
    with pytest.raises(RuntimeError, match="ValueError: a bug in resolution"):
        _ingest(tmp_path / "store", corpus, 2)


def test_summaries_from_worker_processes_share_their_strings(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each name, title, abstract and date is one object however many listings carry it
    (they came from the workers as copies: a third of the summaries' memory at 1M papers)."""
    works = [(p.name, str(p), None) for p in sorted(corpus.rglob("*.txt"))]
    alone = resolver_module.summarise_files(works, SEED_AS_OF, 1, DEFAULT_LIMITS)
    monkeypatch.setattr(resolver_module, "PARALLEL_THRESHOLD", 1)
    pooled = resolver_module.summarise_files(works, SEED_AS_OF, 2, DEFAULT_LIMITS)
    assert pooled == alone  # the same values
    summaries = [done.summary for done in pooled if done.summary is not None]
    written = [name for s in summaries for listing in s.listings for name in listing.authors]
    objects: dict[str, set[int]] = {}
    for name in written:
        objects.setdefault(name, set()).add(id(name))
    assert len(written) > 2 * len(objects)  # names recur
    assert all(len(ids) == 1 for ids in objects.values())


_MAPPED_AFTER_A_LARGE_FREE = """
import ctypes, sys
from kg.pipeline import resolver

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "pass1":
    resolver._return_large_blocks()
large = bytearray(16 << 20)
del large  # glibc's own threshold now rises to 16 MiB
before = libc.mallinfo2().hblkhd
block = bytearray(1 << 20)
print(libc.mallinfo2().hblkhd - before)
"""


def _glibc_with_mallinfo2() -> bool:
    """glibc 2.33 or later (mallinfo2, which the check reads)."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        return False
    found = re.fullmatch(r"glibc (\d+)\.(\d+).*", version)
    return found is not None and (int(found[1]), int(found[2])) >= (2, 33)


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="glibc's malloc (2.33 or later) only")
@pytest.mark.parametrize("process", ["pass1", "default"])
def test_pass_1s_process_maps_each_large_block_on_its_own(process: str) -> None:
    """In pass 1's process a block of 1 MiB is a mapping of its own (given back when freed)
    even after a larger block was freed; by default glibc then takes it from the heap."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")
    }
    done = subprocess.run(
        [sys.executable, "-c", _MAPPED_AFTER_A_LARGE_FREE, process],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    mapped = int(done.stdout)
    if process == "pass1":
        assert mapped >= 1 << 20
    else:
        assert mapped == 0


def test_pass_1s_process_asks_for_it_before_it_reads_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The child of SeparateResolver asks for it before pass 1 starts (forked, it runs the
    patched module, and says in a file what it did, in order)."""
    marker = tmp_path / "done"
    marker.write_text("")

    def say(what: str) -> None:
        with marker.open("a") as file:
            file.write(what + "\n")

    local = resolver_module.LocalResolver

    def started(*args: Any) -> Any:
        say("pass 1")
        return local(*args)

    monkeypatch.setattr(resolver_module, "_return_large_blocks", lambda: say("mapped"))
    monkeypatch.setattr(resolver_module, "LocalResolver", started)
    pass1 = resolver_module.SeparateResolver([], date(2026, 12, 1), 1, DEFAULT_LIMITS)
    try:
        assert pass1.seen() == []
    finally:
        pass1.close()
    assert marker.read_text().splitlines() == ["mapped", "pass 1"]
