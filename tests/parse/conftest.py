"""Fixtures for the parser tests: the seed pages parsed once, and the synthetic pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kg.model import PaperEntry, Profile
from kg.parse import parse_file
from tests.conftest import SEED_AS_OF

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
#: The synthetic pages are read as if copied on the same day as the seeds.
AS_OF: date = SEED_AS_OF

EntryAt = Callable[[str, int], PaperEntry]


@pytest.fixture(scope="session")
def seeds(seed_files: dict[str, Path]) -> dict[str, Profile]:
    """Every seed page parsed once: {"000": Profile, ...}."""
    return {key: parse_file(path, as_of=SEED_AS_OF) for key, path in seed_files.items()}


@pytest.fixture(scope="session")
def seed_lines(seed_files: dict[str, Path]) -> dict[str, list[str]]:
    """The physical lines of every seed page (1-based access: lines[key][n - 1])."""
    return {key: path.read_text(encoding="utf-8").split("\n") for key, path in seed_files.items()}


@pytest.fixture(scope="session")
def entry_at(seeds: dict[str, Profile]) -> EntryAt:
    """entry_at("000", 12): the seed entry whose date line is line 12 of file 000."""
    index = {key: {p.line: p for p in profile.papers} for key, profile in seeds.items()}

    def lookup(key: str, line: int) -> PaperEntry:
        return index[key][line]

    return lookup


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_line(profile: Profile) -> dict[int, PaperEntry]:
    return {p.line: p for p in profile.papers}
