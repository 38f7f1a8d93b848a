"""The words an abstract draws from: topics (the shared vocabulary in a lab's own order),
Zipf-like draws, and the cast of one abstract (the words it keeps coming back to).

See :mod:`.abstracts` for how an abstract is written with them.
"""

from __future__ import annotations

import random
from math import exp, gcd, sqrt
from typing import TYPE_CHECKING, TypeVar

from kg.tools.generate.text import acronym
from kg.tools.generate.vocabulary import (
    CONCEPTS,
    HEADS,
    MODEL_FAMILIES,
    MODIFIERS,
    NAME_HEADS,
    NAME_TAILS,
    NOUN_SUFFIXES,
    OBJECTS,
    PREFIXES,
    SUFFIXES,
    VERBS,
)

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = ["Cast", "Topic", "Vocabulary", "article", "cap", "zipf"]

_T = TypeVar("_T")
#: How many topics there are; labs draw among them with Zipf-like weights.
TOPICS = 400


def zipf(rng: random.Random, n: int) -> int:
    """A rank in ``[0, n)`` with probability about ``1/(rank+1)`` (log-uniform, one draw)."""
    return int((n + 1) ** rng.random()) - 1


class FastRandom(random.Random):
    """``random.Random`` whose integer draws scale one ``random()`` float.

    The standard ones reject and redraw bits to be exactly uniform, which costs three times
    as much; an abstract makes a hundred such draws, and a bias below 2**-40 does not matter
    for text. Deterministic for a seed, like its base.
    """

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        # (step is never used here; it stays for the base class's signature)
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def article(word: str) -> str:
    """``word`` with its indefinite article ("a sparse", "an implicit", "a unitary")."""
    if (word[:1] in "aeio" and not word.startswith(("eu", "one"))) or (
        word[:1] == "u" and not word.startswith(("uni", "usa", "uti"))
    ):
        return "an " + word
    return "a " + word


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def plural(noun: str) -> str:
    """The plural of a head noun ("loss" -> "losses", "policy" -> "policies")."""
    if noun.endswith("sis"):
        return noun[:-2] + "es"
    if noun.endswith("ion") and noun == "criterion":
        return "criteria"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


_PLURALS = {head: plural(head) for head in HEADS}


#: Sigma 2.5 for a sum of four uniforms (standard deviation 1/sqrt(3)).
_SIGMA = 2.5 * sqrt(3.0)


class Topic:
    """One topic's vocabulary: the shared word lists in the topic's own order."""

    __slots__ = (
        "coined",
        "coined_nouns",
        "concepts",
        "concepts_n",
        "heads",
        "modifiers",
        "modifiers_n",
        "names",
        "objects",
        "objects_n",
        "verbs",
        "verbs_n",
    )

    def __init__(self, rng: random.Random) -> None:
        def shuffled(words: tuple[str, ...]) -> tuple[str, ...]:
            # The lists run from common to rare; a topic keeps that tendency loosely (a
            # word's rank scaled by a log-normal factor, sigma 2.5), so that each topic has
            # its own common words and the lists' tails stay rare overall. The normal
            # deviate is a sum of four uniforms (lognormvariate costs five times as much,
            # and a topic draws a few thousand).
            r = rng.random
            unique = tuple(dict.fromkeys(words))
            keys = [
                (i + 1) * exp(_SIGMA * (r() + r() + r() + r() - 2.0)) for i in range(len(unique))
            ]
            return tuple(w for _k, w in sorted(zip(keys, unique, strict=True)))

        self.concepts = shuffled(CONCEPTS)
        self.modifiers = shuffled(MODIFIERS)
        self.objects = shuffled(OBJECTS)
        self.heads = shuffled(HEADS)
        self.verbs = shuffled(VERBS)
        # len + 1 of each, for the Zipf draws
        self.concepts_n = len(self.concepts) + 1.0
        self.modifiers_n = len(self.modifiers) + 1.0
        self.objects_n = len(self.objects) + 1.0
        self.verbs_n = len(self.verbs) + 1.0
        # Name spaces too large to shuffle: rank r maps to (a*r + b) mod size, a bijection.
        self.names = _affine(rng, len(NAME_HEADS) * len(NAME_TAILS))
        # Two or three parts: prefix (+ prefix) + suffix.
        self.coined = _affine(rng, len(PREFIXES) * (len(PREFIXES) + 1) * len(SUFFIXES))
        self.coined_nouns = _affine(rng, len(PREFIXES) * len(NOUN_SUFFIXES))


def _affine(rng: random.Random, size: int) -> tuple[int, int, int]:
    a = rng.randrange(1, size)
    while gcd(a, size) != 1:
        a += 1
    return a, rng.randrange(size), size


class Vocabulary:
    """The corpus's topics (made once per corpus seed, each on first use)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._topics: dict[int, Topic] = {}

    def text_rng(self) -> FastRandom:
        """The random stream of the abstracts, apart from the one people and titles use."""
        return FastRandom(f"kg-generate/{self.seed}/text")

    def topic(self, number: int) -> Topic:
        topic = self._topics.get(number)
        if topic is None:
            topic = Topic(random.Random(f"kg-generate/{self.seed}/topic/{number}"))
            self._topics[number] = topic
        return topic

    def lab_topics(self, lab: int) -> list[Topic]:
        """A lab's one to three topics, its first the main one."""
        rng = random.Random(f"kg-generate/{self.seed}/lab/{lab}")
        count = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
        return [self.topic(zipf(rng, TOPICS)) for _ in range(count)]


class Cast:
    """What one abstract is about: the words it keeps coming back to."""

    __slots__ = (
        "c",
        "head",
        "heads",
        "intro",
        "latex",
        "m",
        "name",
        "o",
        "random",
        "ref",
        "rng",
        "topic",
        "used",
    )

    def __init__(self, rng: random.Random, topic: Topic, title: str, latex: bool) -> None:
        self.rng, self.topic, self.latex = rng, topic, latex
        self.random = rng.random
        self.c = [self.concept() for _ in range(4)]
        self.m = [self.modifier() for _ in range(3)]
        if rng.random() < 0.4:  # the paper's own term, which it keeps coming back to
            self.m[0] = self.coined()
        self.o = [self.objects() for _ in range(2)]
        self.head = topic.heads[zipf(rng, len(topic.heads))]
        self.heads = _PLURALS[self.head]
        self.used = 0  # a bit per (role, phrasing) used
        self.name, self.intro = self._name(title)
        self.ref = self.name or rng.choice(("our " + self.head, "the proposed " + self.head))

    def pick(self, role: int, n: int) -> int:
        """One of a role's ``n`` phrasings, not one this abstract has used already."""
        x = int(self.rng.random() * n)
        used = self.used
        for _ in range(n):
            bit = 1 << (role * 16 + x)
            if not used & bit:
                break
            x = x + 1 if x + 1 < n else 0
        self.used = used | bit
        return x

    # The draws below inline zipf(): they are most of an abstract's work.
    def w(self, words: tuple[str, ...]) -> str:
        """One way of saying it, the usual ones more often."""
        return words[int((len(words) + 1) ** self.random()) - 1]

    def concept(self) -> str:
        x = self.random()
        if x < 0.05:  # a field's own noun: "magnetometry", "photolysis"
            a, b, size = self.topic.coined_nouns
            i = (a * zipf(self.rng, size) + b) % size
            first, second = divmod(i, len(NOUN_SUFFIXES))
            return PREFIXES[first] + NOUN_SUFFIXES[second]
        t = self.topic
        return t.concepts[int(t.concepts_n ** ((x - 0.05) / 0.95)) - 1]

    def modifier(self) -> str:
        x = self.random()
        if x < 0.08:
            return self.coined()
        t = self.topic
        return t.modifiers[int(t.modifiers_n ** ((x - 0.08) / 0.92)) - 1]

    def objects(self) -> str:
        t = self.topic
        return t.objects[int(t.objects_n ** self.random()) - 1]

    def verb(self) -> str:
        t = self.topic
        return t.verbs[int(t.verbs_n ** self.random()) - 1]

    def coined(self) -> str:
        """A field's own adjective: "photoacoustic", "magnetohydrodynamic" (the long tail)."""
        a, b, size = self.topic.coined
        i = (a * zipf(self.rng, size) + b) % size
        i, suffix = divmod(i, len(SUFFIXES))
        first, second = divmod(i, len(PREFIXES) + 1)
        # Most coined words have two parts, a few three.
        if second and self.rng.random() < 0.75:
            second = 0
        word = PREFIXES[second - 1] + SUFFIXES[suffix] if second else SUFFIXES[suffix]
        return PREFIXES[first] + word

    def dataset(self) -> str:
        # Half the time from the corpus-wide order (the few data sets everybody uses).
        rng = self.rng
        a, b, size = self.topic.names
        rank = zipf(rng, size)
        i = (a * rank + b) % size if rng.random() < 0.5 else (rank * 7919) % size
        name = NAME_HEADS[i // len(NAME_TAILS)] + NAME_TAILS[i % len(NAME_TAILS)]
        x = rng.random()
        if x < 0.15:
            return name + rng.choice(("-10", "-100", "-1K", "-8K", "-50K", "-v2", "-Hard"))
        if x < 0.25:
            return name.upper()
        return name

    def model(self) -> str:
        rng = self.rng
        family = MODEL_FAMILIES[zipf(rng, len(MODEL_FAMILIES))]
        version = rng.choice(("", "-2", "-3", "-3.1", "2.5", "-4", "-1.5", "-v2"))
        size = rng.choice(
            ("-7B", "-8B", "-1.5B", "-13B", "-70B", "-0.5B", "-50", "-Large", "-Base")
        )
        return family + version + size

    def _name(self, title: str) -> tuple[str | None, str]:
        rng = self.rng
        head, sep, _rest = title.partition(": ")
        if sep and " " not in head and head.upper() == head:
            name = head
        else:
            x = rng.random()
            if x < 0.35:  # an acronym spelled out, as "TARPO (Token-Wise ... Optimization)"
                words = [cap(self.m[0]), cap(self.concept()), cap(self.c[0]), cap(self.head)]
                words = words[rng.randrange(2) :]
                name = "".join(w[0].upper() for w in words)
                if len(name) < 3 or rng.random() < 0.4:
                    name = acronym(rng)
                bold = self.bold(name)
                return name, f"{bold} ({' '.join(words)}), "
            if x < 0.65:
                name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
            elif x < 0.8:
                name = acronym(rng)
            else:
                return None, ""
        return name, f"{self.bold(name)}, "

    def bold(self, name: str) -> str:
        if self.latex and self.rng.random() < 0.4:
            return f"\\textbf{{{name}}}" if self.rng.random() < 0.7 else f"**{name}**"
        return name

    def percent(self, value: str) -> str:
        return value + ("\\%" if self.latex and self.rng.random() < 0.6 else "%")

    def math(self) -> str:
        rng = self.rng
        n = rng.choice(("n", "T", "d", "k", "N"))
        body = rng.choice(
            (
                f"\\mathcal{{O}}(\\sqrt{{{n}}})",
                f"O({n}^{{-1/2}}\\log {n})",
                f"\\tilde{{O}}({n}^{{{rng.randint(1, 3)}/{rng.randint(3, 5)}}})",
                f"\\Omega({n}\\log {n})",
                f"\\epsilon = {rng.randint(1, 9)} \\times 10^{{-{rng.randint(2, 6)}}}",
                "\\alpha \\to 0",
                "σ^2/δ",
            )
        )
        if not self.latex:
            return rng.choice(("a near-optimal rate", "a logarithmic factor", "a linear rate"))
        return f"\\({body}\\)" if rng.random() < 0.25 else f"${body}$"
