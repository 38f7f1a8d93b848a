"""How much generated abstracts read like real ones: the seeds beside a generated corpus.

Run from the repository root::

    python -m bench.abstracts bench/results/work/corpus-10000-s7/profiles

At the seeds' scale (their 104 distinct abstracts against as many drawn at random from
the corpus, three draws), with the words the search benchmark samples from (letters
only, five or more, a few stop words out):

* **lengths**: characters, mean and the 10th, 50th and 90th percentiles;
* **types**: distinct words in the sample (a small vocabulary makes abstracts alike);
* **common share**: of an abstract's words, the share found in at least 10% of the
  sample's abstracts (template phrasing makes it high);
* **unique share**: of an abstract's words, the share found in no other abstract of the
  sample (the specific terms that make an abstract findable).

The seeds come from five researchers in one field, so a real corpus across fields would
be more varied than they are, not less: they are a lower bound on realism.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/abstracts.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import _abstract_words

_DATE_LINE = re.compile(r"^[A-Z]{2,4}(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d")


def abstracts_of(folder: Path) -> list[str]:
    """The distinct abstracts of the profile pages under ``folder`` (one long line each)."""
    found: dict[str, None] = {}
    for path in sorted(folder.rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if len(line) > 250 and not _DATE_LINE.match(line):
                found[line] = None
    return list(found)


def measure(abstracts: list[str]) -> dict[str, Any]:
    words = [_abstract_words(a) for a in abstracts]
    df = Counter(w for ws in words for w in ws)
    n = len(abstracts)
    lengths = sorted(len(a) for a in abstracts)
    return {
        "abstracts": n,
        "length_mean": round(statistics.mean(lengths)),
        "length_p10_p50_p90": [lengths[n // 10], lengths[n // 2], lengths[9 * n // 10]],
        "types": len(df),
        "common_share": round(
            statistics.mean(sum(df[w] >= 0.1 * n for w in ws) / len(ws) for ws in words), 3
        ),
        "unique_share": round(
            statistics.mean(sum(df[w] == 1 for w in ws) / len(ws) for ws in words), 3
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, help="a folder of generated profile pages")
    parser.add_argument(
        "--seeds", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "seeds"
    )
    args = parser.parse_args(argv)
    seeds = abstracts_of(args.seeds)
    generated = abstracts_of(args.corpus)
    if not seeds or len(generated) < len(seeds):
        raise SystemExit(f"need the seeds and at least {len(seeds)} generated abstracts")
    print(f"seeds      {measure(seeds)}")
    rng = random.Random(1)
    for _ in range(3):
        print(f"generated  {measure(rng.sample(generated, len(seeds)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
