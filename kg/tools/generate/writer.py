"""Writing truth.json as the generator goes, one file record at a time (memory stays flat)."""

from __future__ import annotations

import json
from typing import IO, Any


class JsonArrayWriter:
    """Writes a JSON array one element at a time."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.first = True

    def add(self, item: Any) -> None:
        self.out.write("\n  " if self.first else ",\n  ")
        self.out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.first = False
