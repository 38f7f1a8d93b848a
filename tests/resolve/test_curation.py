"""The curation file, and identity through real ingests: a curation change alone changes the
outcome on the next ingest (no profile file changed), and unchanged inputs skip resolution."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.pipeline.identity as identity_module
from kg.cli import main
from kg.identity.curation import load_curation
from kg.pipeline.identity import IdentityResolution
from kg.pipeline.ingest import ingest
from kg.rdf.iri import IriScheme
from kg.store.embedded import KGStore

SCHEME = IriScheme("http://kg.test/")
AS_OF = date(2026, 11, 21)


def page(owner: str, entries: list[tuple[str, str, str]]) -> str:
    """A profile page in the site's layout A: header, then (date, title, author line) entries."""
    lines = [
        owner,
        "",
        "LG",
        "h-index3",
        f"{len(entries)}papers",
        "10citations",
        "Novelty50%",
        "AI Score50",
        "",
        f"{len(entries)} Papers",
        "",
    ]
    for i, (day, title, authors) in enumerate(entries):
        lines += [f"LG{day}", title, "", authors, "", f"We study {title.lower()} with care."]
        if i < len(entries) - 1:
            lines.append("")
    return "\n".join(lines)


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "a.txt").write_text(
        page(
            "Yifan Zhang",
            [
                ("Mar 2, 2023", "Sparse Heads for Retrieval", "Yifan Zhang, Ada Quill, Bo Rennet"),
                ("Apr 9, 2023", "Dense Heads for Retrieval", "Ada Quill, Yifan Zhang, Bo Rennet"),
                ("May 1, 2023", "Kai Study One", "Kai Zheng, Ada Quill"),
            ],
        ),
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        page(
            "Cy Dunmore",
            [
                ("Jun 3, 2023", "Mixed Heads for Retrieval", "Zhang Yifan, Ada Quill, Bo Rennet"),
                ("Jul 5, 2023", "Kaipeng Study Two", "Kaipeng Zheng, Cy Dunmore"),
            ],
        ),
        encoding="utf-8",
    )
    return folder


def run(store_dir: Path, folder: Path, curation: Path | None = None) -> dict[str, str]:
    store = KGStore.open_writable(store_dir)
    try:
        report = ingest(
            [folder],
            store,
            scheme=SCHEME,
            as_of=AS_OF,
            resolution=IdentityResolution(curation),
            progress=False,
        )
    finally:
        store.close()
    return {o.source: o.status for o in report.outcomes}


def agents(store_dir: Path, title: str) -> set[str]:
    store = KGStore.open_readonly(store_dir)
    rows = store.query(
        "SELECT DISTINCT ?t ?a WHERE { ?p <http://purl.org/dc/terms/title> ?t ; <https://schema.org/author> ?a }",
        substitutions={"t": __import__("pyoxigraph").Literal(title)},
    )
    return {row["a"].value for row in rows}


def kinds(store_dir: Path) -> set[str]:
    return {kind for kind, _label in decisions(store_dir)}


def decisions(store_dir: Path) -> set[tuple[str, str]]:
    """(kind, label) of every decision in the identity graph."""
    store = KGStore.open_readonly(store_dir)
    rows = store.query(
        f"SELECT ?k ?l WHERE {{ GRAPH <{SCHEME.identity_graph()}> "
        "{ ?d <https://w3id.org/scholarly-kg/ontology#decisionKind> ?k ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l } }"
    )
    return {(row["k"].value, row["l"].value) for row in rows}


YIFAN, SWAPPED = SCHEME.author("Yifan Zhang"), SCHEME.author("Zhang Yifan")
KAI, KAIPENG = SCHEME.author("Kai Zheng"), SCHEME.author("Kaipeng Zheng")


@pytest.fixture(params=["here", "apart"])
def pass_1(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pass 1 in the ingest's process, or in a process of its own (which tells the stale
    stored sources from the summaries it was sent)."""
    if request.param == "apart":
        monkeypatch.setattr(identity_module, "SEPARATE_THRESHOLD", 1)
    return str(request.param)


def test_curation_changes_the_outcome_on_the_next_ingest(
    tmp_path: Path, profiles: Path, pass_1: str
) -> None:
    store = tmp_path / "store"
    # 1. Automatic: the swapped name shares both co-authors -> one author.
    run(store, profiles)
    assert YIFAN in agents(store, "Mixed Heads for Retrieval")
    assert SWAPPED not in agents(store, "Mixed Heads for Retrieval")
    assert agents(store, "Kai Study One") & {KAI} and KAIPENG not in agents(store, "Kai Study One")

    # 2. A curator says they are two people, and that Kai and Kaipeng are one: no file changed.
    curation = tmp_path / "curation.tsv"
    curation.write_text(
        "# identity curation\n"
        "cannot-link\tZhang Yifan\tYifan Zhang\tdifferent people (checked ORCID)\n"
        f"must-link\t{KAI}\tKaipeng Zheng\n",
        encoding="utf-8",
    )
    statuses = run(store, profiles, curation)
    assert statuses["b.txt"] == "replaced"  # re-mapped for identity only (a.txt keeps "Kai Zheng")
    assert SWAPPED in agents(store, "Mixed Heads for Retrieval")
    assert YIFAN not in agents(store, "Mixed Heads for Retrieval")
    assert KAI in agents(store, "Kai Study One") and KAI in agents(store, "Kaipeng Study Two")
    assert KAIPENG not in agents(store, "Kaipeng Study Two")
    assert {"curated-cannot-link", "curated-must-link"} <= kinds(store)

    # 3. The same inputs again: nothing to resolve, nothing re-mapped.
    assert set(run(store, profiles, curation).values()) == {"unchanged"}

    # 4. Without the curation file, the automatic decisions come back.
    run(store, profiles)
    assert YIFAN in agents(store, "Mixed Heads for Retrieval")
    assert {"curated-cannot-link", "curated-must-link"}.isdisjoint(kinds(store))


def _ingest_with(
    store_dir: Path, folder: Path, curation: Path
) -> tuple[IdentityResolution, dict[str, str], str | None]:
    """One ingest with the curation file: the step, each file's status, the generation."""
    step = IdentityResolution(curation)
    store = KGStore.open_writable(store_dir)
    try:
        report = ingest(
            [folder], store, scheme=SCHEME, as_of=AS_OF, resolution=step, progress=False
        )
    finally:
        store.close()
    return step, {o.source: o.status for o in report.outcomes}, report.generation


def test_a_stored_source_not_ingested_again_is_named_until_its_file_is(
    tmp_path: Path, profiles: Path, pass_1: str
) -> None:
    """b.txt is kept as stored (its file is not in this ingest): the curation would map it to
    other IRIs, so the step names it for the user to ingest again, maps nothing of it, and
    writes it down in the identity graph. The same ingest again is skipped (nothing new to
    resolve, no new generation to publish) and names it again; ingesting its unchanged
    file maps it, after which nothing is left to do."""
    store_dir = tmp_path / "store"
    run(store_dir, profiles)
    only_a = tmp_path / "only-a"
    only_a.mkdir()
    (only_a / "a.txt").write_bytes((profiles / "a.txt").read_bytes())
    curation = tmp_path / "curation.tsv"
    curation.write_text("cannot-link\tZhang Yifan\tYifan Zhang\n", encoding="utf-8")
    step, statuses, generation = _ingest_with(store_dir, only_a, curation)
    assert step.stale_elsewhere == ["b.txt"] and generation is not None
    assert statuses == {"a.txt": "unchanged"}
    assert YIFAN in agents(store_dir, "Mixed Heads for Retrieval")  # b.txt as it was
    again, statuses, later = _ingest_with(store_dir, only_a, curation)
    # Skipped: nothing written, no generation published; the user is reminded.
    assert again.stale_elsewhere == ["b.txt"] and later is None
    step, statuses, _ = _ingest_with(store_dir, profiles, curation)
    assert statuses == {"a.txt": "unchanged", "b.txt": "replaced"}
    assert step.stale_elsewhere == []
    assert SWAPPED in agents(store_dir, "Mixed Heads for Retrieval")
    assert YIFAN not in agents(store_dir, "Mixed Heads for Retrieval")
    step, statuses, _ = _ingest_with(store_dir, profiles, curation)
    assert set(statuses.values()) == {"unchanged"} and step.stale_elsewhere == []


def test_a_stored_source_whose_file_cannot_be_read_stays_named(
    tmp_path: Path, profiles: Path
) -> None:
    """b.txt's file is in the ingest but cannot be read (its stored graph stays as it was):
    it is named and written down like a file that was not there, and mapped once it can be
    read again."""
    store_dir = tmp_path / "store"
    run(store_dir, profiles)
    good = (profiles / "b.txt").read_bytes()
    (profiles / "b.txt").write_bytes(b"\xff\xfe not a profile page")
    curation = tmp_path / "curation.tsv"
    curation.write_text("cannot-link\tZhang Yifan\tYifan Zhang\n", encoding="utf-8")
    step, statuses, _ = _ingest_with(store_dir, profiles, curation)
    assert statuses["b.txt"] == "failed" and step.stale_elsewhere == ["b.txt"]
    assert YIFAN in agents(store_dir, "Mixed Heads for Retrieval")
    (profiles / "b.txt").write_bytes(good)
    step, statuses, _ = _ingest_with(store_dir, profiles, curation)
    assert statuses["b.txt"] == "replaced" and step.stale_elsewhere == []
    assert SWAPPED in agents(store_dir, "Mixed Heads for Retrieval")


def test_identity_graph_survives_an_ingest_that_stopped_before_resolution(
    tmp_path: Path, profiles: Path
) -> None:
    """Graphs were written but the identity step never ran: the next ingest resolves again."""
    store_dir = tmp_path / "store"
    run(store_dir, profiles)
    (profiles / "b.txt").write_text(
        page(
            "Cy Dunmore",
            [
                ("Jul 5, 2023", "Kaipeng Study Two", "Kaipeng Zheng, Cy Dunmore"),
            ],
        ),
        encoding="utf-8",
    )
    store = KGStore.open_writable(store_dir)
    ingest([profiles], store, scheme=SCHEME, as_of=AS_OF, progress=False)  # no identity step
    store.close()
    assert [label for _kind, label in decisions(store_dir) if "Zhang Yifan" in label]  # stale
    assert set(run(store_dir, profiles).values()) == {"unchanged"}
    assert not [label for _kind, label in decisions(store_dir) if "Zhang Yifan" in label]


@pytest.mark.parametrize(
    ("text", "entries", "problems"),
    [
        pytest.param("must-link\tJ. Smith\tJohn Smith\n", 1, 0, id="tab"),
        pytest.param("cannot-link  Wei Lin  Wei Liu  two people\n", 1, 0, id="spaces"),
        pytest.param(
            "# a comment\n\n  \nMust-Link\tA B\tC D\t# why\n", 1, 0, id="comments-and-case"
        ),
        pytest.param("same-as\tA B\tC D\n", 0, 1, id="unknown-relation"),
        pytest.param("must-link\tA B\n", 0, 1, id="one-name"),
    ],
)
def test_load_curation(tmp_path: Path, text: str, entries: int, problems: int) -> None:
    path = tmp_path / "c.tsv"
    path.write_text(text, encoding="utf-8")
    cur = load_curation(path)
    assert len(cur.entries) == entries and len(cur.problems) == problems
    for problem in cur.problems:
        assert problem.startswith("c.tsv:")


def test_missing_default_curation_is_empty(tmp_path: Path) -> None:
    assert load_curation(tmp_path / "absent.tsv").entries == ()


def test_cli_ingest_with_curation_and_report(tmp_path: Path, profiles: Path) -> None:
    runner = CliRunner()
    curation = tmp_path / "curation.tsv"
    curation.write_text(
        "cannot-link\tZhang Yifan\tYifan Zhang\tnot the same\nmust-link\tNo One\tKai Zheng\n",
        encoding="utf-8",
    )
    store = str(tmp_path / "store")
    result = runner.invoke(
        main,
        [
            "ingest",
            str(profiles),
            "--store",
            store,
            "--as-of",
            "2026-11-21",
            "--base-iri",
            "http://kg.test/",
            "--curation",
            str(curation),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "identity: curation.tsv:2" in result.output  # "No One" is not in the data
    result = runner.invoke(
        main,
        [
            "resolve",
            "--store",
            store,
            "--base-iri",
            "http://kg.test/",
            "--report",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    curated = [d for d in report["decisions"] if d["kind"] == "curated-cannot-link"]
    assert curated and curated[0]["method"] == "curated"
    assert {r["iri"] for r in curated[0]["resources"]} == {YIFAN, SWAPPED}
    assert any("not the same" in e for e in curated[0]["evidence"])
    table = runner.invoke(
        main, ["resolve", "--store", store, "--base-iri", "http://kg.test/", "--report"]
    )
    assert "curated-cannot-link" in table.output and "- " in table.output
    counts = runner.invoke(main, ["resolve", "--store", store, "--base-iri", "http://kg.test/"])
    assert "curated-cannot-link (curated)" in counts.output


def test_cli_ingest_says_each_identity_problem_once(tmp_path: Path, profiles: Path) -> None:
    """The command prints resolution's problems and the stale stored sources; the library
    also logs them, which a process without logging configured printed a second time
    (Python's last-resort handler). Run as a user runs it: its own process."""
    curation = tmp_path / "curation.tsv"
    curation.write_text("must-link\tNo One\tKai Zheng\n", encoding="utf-8")
    command = [sys.executable, "-m", "kg.cli", "ingest", str(profiles), "--store"]
    command += [str(tmp_path / "store"), "--as-of", "2026-11-21", "--curation", str(curation)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("curation.tsv:1") == 1, done.stderr


def test_cli_ingest_refuses_a_missing_curation_file(tmp_path: Path, profiles: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(profiles),
            "--store",
            str(tmp_path / "s"),
            "--curation",
            str(tmp_path / "nope.tsv"),
        ],
    )
    assert result.exit_code == 2 and "nope.tsv" in result.output
