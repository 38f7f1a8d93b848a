"""Shared fixtures. Tests are laid out by pipeline stage: parse, resolve, map, store, server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The real profile pages live beside the project, never inside it.
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
W3C_DIR = ROOT.parent / "shared" / "w3c"
#: The date the seed pages were copied from the site (PROFILE_FORMAT.md).
SEED_AS_OF = date(2026, 11, 21)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed profiles not found at {SEEDS_DIR} (../shared/seeds beside the project)")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def seed_files(seeds_dir: Path) -> dict[str, Path]:
    """Seed files keyed by their three-digit prefix: {"000": Path, ...}."""
    return {p.name[:3]: p for p in sorted(seeds_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def w3c_dir() -> Path:
    if not W3C_DIR.is_dir():
        pytest.skip(f"W3C test data not found at {W3C_DIR}")
    return W3C_DIR
