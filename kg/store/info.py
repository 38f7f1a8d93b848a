"""What a store says about itself: the base IRI its data was minted under.

``kg ingest`` records the base IRI in the store, and every later command (serve,
report, resolve, query, export, stats, precompute) takes it from there unless
told otherwise; an explicit base that differs is refused with a message naming
both, since the store's IRIs would then answer nothing (a different base means
a different store: ingest into another folder, or delete this one).

Where it is recorded:

* an embedded store: ``DIR/store.json`` (``{"base_iri": ...}``), written before
  the first ingest writes anything;
* an external store: the version graph ``{base}graph/_meta`` that every
  ``kg ingest`` writes is the record; the store's bases are found by its name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kg.errors import StoreError
from kg.settings import DEFAULT_BASE_IRI, normalise_base
from kg.store.remote import RemoteStore, is_store_url

INFO_FILE = "store.json"


def read_info(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The description an embedded store keeps (empty for a store that has none yet)."""
    path = Path(folder) / INFO_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise StoreError(f"{path}: unreadable store description: {error}") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: unreadable store description: not a JSON object")
    return data


def record_base_iri(folder: str | os.PathLike[str], base_iri: str) -> None:
    """Write ``base_iri`` into the description of the embedded store at ``folder``.

    Raises StoreError when the store already records another base.
    """
    info = read_info(folder)
    recorded = info.get("base_iri")
    if recorded == base_iri:
        return
    if recorded is not None:
        raise _mismatch(str(folder), recorded, base_iri)
    info["base_iri"] = base_iri
    path = Path(folder) / INFO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def recorded_base_iri(location: str | os.PathLike[str]) -> tuple[str | None, str]:
    """The base IRI the store at ``location`` (folder or query URL) was ingested with,
    and the store's location for messages (a URL without its credentials).

    The base is None when the store records none (an empty store, or one ingested
    before stores described themselves). An external store holding the data of
    several bases records none of them as *the* base: the caller must choose.
    """
    if is_store_url(location):
        assert isinstance(location, str)
        store = RemoteStore.open(location, base_iri=DEFAULT_BASE_IRI)
        bases = store.recorded_bases()
        return (bases[0] if len(bases) == 1 else None), store.location
    recorded = read_info(location).get("base_iri")
    return (str(recorded) if recorded else None), str(location)


def resolve_base_iri(location: str | os.PathLike[str], explicit: str | None) -> str:
    """The base IRI to use with the store at ``location``.

    ``explicit`` (a flag or ``KG_BASE_IRI``) if given, else the store's recorded
    base, else :data:`kg.settings.DEFAULT_BASE_IRI`. Raises StoreError when an
    explicit base differs from the recorded one, and ValueError for a malformed one.
    """
    wanted = normalise_base(explicit) if explicit else None
    if wanted is not None and is_store_url(location):
        # An external store is asked only when it must say: opening it with another
        # base's graphs is refused by RemoteStore.check_readable, naming both bases.
        return wanted
    recorded, shown = recorded_base_iri(location)
    if wanted is not None and recorded is not None and wanted != recorded:
        raise _mismatch(shown, recorded, wanted)
    return wanted or recorded or DEFAULT_BASE_IRI


def _mismatch(location: str, recorded: str, wanted: str) -> StoreError:
    return StoreError(
        f"the store at {location} was ingested with --base-iri {recorded}, not {wanted}: "
        f"leave --base-iri (and KG_BASE_IRI) out to use the store's, or use another store "
        f"for another base"
    )
