"""Where the project's data folders are: ``queries/`` and ``ontology/``.

The repository keeps them at its top level (beside ``kg/``); the wheel ships
them inside the package as ``kg/_data/queries`` and ``kg/_data/ontology``
(``[tool.setuptools.package-dir]`` in pyproject.toml). This module is the one
place that knows both layouts, so the installed package and the checkout find
the same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from kg.errors import KGError

DataFolder = Literal["queries", "ontology"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: DataFolder) -> Path:
    """The folder of canned queries or of the ontology, installed or in a checkout.

    Raises :class:`~kg.errors.KGError` when neither layout has it (a broken install).
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise KGError(
        f"the {name}/ folder is missing from this installation (looked in {_PACKAGE / '_data'})"
    )
