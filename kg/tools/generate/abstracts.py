"""Abstracts that read like the seeds': each names its own method, data, models and numbers.

A real abstract is distinctive: it says what *this* paper does (a method with a name,
the data sets and models it was tried on, the figures it reports) in the words of its
field. Four words drawn from it are rarely the words of another paper. Abstracts here
are built the same way:

* **A topic per lab.** Labs work on a few things: each draws a topic, and a topic is the
  shared vocabulary (:mod:`.vocabulary`) in its own order, so that what is common in one
  topic is rare in another. Topics are themselves drawn with Zipf-like weights.
* **A cast per paper**: the key concepts, qualifiers, the kind of thing proposed, the data
  it works on, a named method (the title's acronym when it has one, else an acronym spelled
  out, a compound name, or none), data sets and models from large name spaces where a
  few names are common and most are rare, a metric and figures. Every word is drawn with
  Zipf-like weights (rank ``r`` with probability about ``1/r``), as word frequencies are.
* **Sentences by role**, in the order abstracts use: context, gap, contribution, method
  details, theory, experiments, findings, release, code. Most are put together from parts
  (a subject, a verb, noun phrases, a manner), the others take one of a role's fixed
  phrasings, whose glue words vary too: with one phrasing per role, the glue words would
  be in every abstract. Optional roles are added until the abstract reaches a length
  drawn from the seeds' (mean about 1,350 characters, 600 to 1,900).
* **Markup** on about one abstract in four (``$...$``, ``\\(...\\)``, ``\\textbf``,
  ``**bold**``, ``\\emph``, ``\\%``, LaTeX quotes, Greek letters), as the seeds have it.

Abstracts draw from their own random stream (:meth:`Vocabulary.text_rng`), apart from
the one people, titles and pages use, so a change here changes the abstracts only.
``python -m bench.abstracts`` compares them with the seeds'.
"""

from __future__ import annotations

import random
import re
from math import gcd
from typing import TYPE_CHECKING, TypeVar

from kg.tools.generate.text import PROBLEMS, TASKS, acronym
from kg.tools.generate.vocabulary import (
    ADVERBS,
    ANALYSIS,
    APPROACHES,
    CONCEPTS,
    EFFECTIVE,
    EXISTING,
    EXPERIMENTS,
    HARD,
    HEADS,
    IMPROVES,
    KEY,
    MANNERS,
    METRICS,
    MODEL_FAMILIES,
    MODIFIERS,
    NAME_HEADS,
    NAME_TAILS,
    NOUN_SUFFIXES,
    NUMEROUS,
    OBJECTS,
    OPENERS,
    PREFIXES,
    PROBLEMATIC,
    PROPOSE,
    REDUCES,
    SHOW,
    SIGNIFICANT,
    SUFFIXES,
    VERBS,
)

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = ["Vocabulary", "abstract"]

_T = TypeVar("_T")
_TASK = re.compile("|".join(re.escape(t) for t in sorted(TASKS, key=len, reverse=True)))
#: How many topics there are; labs draw among them with Zipf-like weights.
TOPICS = 400
_PREPS = ("across", "over", "for", "on", "from", "within", "between")
_GROWTH = ("quadratically", "linearly", "exponentially", "cubically")


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


def _a(word: str) -> str:
    """``word`` with its indefinite article ("a sparse", "an implicit", "a unitary")."""
    if (word[:1] in "aeio" and not word.startswith(("eu", "one"))) or (
        word[:1] == "u" and not word.startswith(("uni", "usa", "uti"))
    ):
        return "an " + word
    return "a " + word


def _cap(text: str) -> str:
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
            # word's rank scaled by a log-normal factor), so that each topic has its own
            # common words and the lists' tails stay rare overall.
            keys = [(i + 1) * rng.lognormvariate(0, 2.5) for i in range(len(words))]
            return tuple(w for _k, w in sorted(zip(keys, dict.fromkeys(words), strict=False)))

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


class _Cast:
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
                words = [_cap(self.m[0]), _cap(self.concept()), _cap(self.c[0]), _cap(self.head)]
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


_STATES = (
    "is central to",
    "underpins",
    "remains a bottleneck for",
    "is increasingly used in",
    "has become standard in",
    "plays a key role in",
    "is widely studied in",
    "shapes",
    "limits",
    "is essential for",
    "drives progress in",
    "is poorly understood in",
)


def _context(k: _Cast) -> str:
    rng, c, m, o, w = k.rng, k.c, k.m, k.o, k.w
    if rng.random() < 0.5:
        return _cap(f"{_phrase(k)} {w(_STATES)} {_phrase(k)}, {_applications(k)}.")
    x = k.pick(0, 10)
    if x == 0:
        return (
            f"{_cap(c[0])} is {_a(w(KEY))} problem in {c[1]} for {o[0]}, with applications "
            f"ranging from {k.concept()} to {k.concept()}."
        )
    if x == 1:
        return (
            f"{_cap(m[0])} {c[0]} has emerged as a promising alternative to {k.concept()} in "
            f"{c[1]}, enabling {m[1]} {k.concept()} over {o[0]}."
        )
    if x == 2:
        return (
            f"Modern {c[1]} systems increasingly rely on {m[0]} {c[0]}, yet their behaviour on "
            f"{o[0]} remains poorly understood."
        )
    if x == 3:
        return f"Learning {m[0]} {c[0]} from {o[0]} is {w(HARD)} because of {rng.choice(PROBLEMS)}."
    if x == 4:
        return (
            f"{_cap(o[0])} and {o[1]} are increasingly studied through {c[1]}, and {m[0]} "
            f"{c[0]} has become a common tool for {k.concept()}."
        )
    if x == 5:
        return (
            f"Recent work on {c[0]} suggests that {m[0]} {k.heads} capture {k.concept()} "
            f"in {o[0]} far better than {m[1]} ones."
        )
    if x == 6:
        return (
            f"Many questions about {o[0]} reduce to {c[0]}: given {m[0]} observations, "
            f"recover the {k.concept()} that produced them."
        )
    if x == 7:
        return (
            f"The {w(KEY)} obstacle to deploying {c[1]} on {o[0]} is {c[0]}, which "
            f"{w(EXISTING)} {w(APPROACHES)} treat as {_a(m[1])} afterthought."
        )
    if x == 8:
        return (
            f"Whether {m[0]} {c[0]} helps {k.concept()} on {o[0]} is an open question, "
            f"and the evidence so far is mixed."
        )
    return (
        f"{_cap(c[1])} over {o[0]} has attracted growing interest, driven by {m[1]} "
        f"{k.concept()} and by the availability of {k.modifier()} {o[1]}."
    )


def _task(k: _Cast, task: str) -> str:
    x = k.rng.randrange(3)
    if x == 0:
        return f"We focus on {task}, where {k.c[1]} is the {k.w(KEY)} difficulty."
    if x == 1:
        return f"In {task}, this shows up as {k.modifier()} {k.concept()}."
    return f"{_cap(task)} is a case in point: {k.objects()} rarely come with {k.c[1]}."


_NOTABLY = ("especially", "notably", "in particular", "above all", "not least", "chiefly")


def _applications(k: _Cast) -> str:
    x = k.rng.random()
    if x < 0.3:
        return f"from {k.objects()} to {k.objects()}"
    if x < 0.6:
        return f"with uses in {k.concept()} and {k.concept()}"
    return f"{k.w(_NOTABLY)} for {k.modifier()} {k.objects()}"


_CONDITIONS = (
    "when faced with",
    "in the presence of",
    "under",
    "once confronted with",
    "for",
    "when applied to",
    "in settings with",
    "as soon as they meet",
    "when scaled to",
    "when trained on",
    "whenever there is",
)


def _gap(k: _Cast) -> str:
    rng, c, m, o, w = k.rng, k.c, k.m, k.o, k.w
    if rng.random() < 0.5:
        return (
            f"{_cap(w(EXISTING))} {w(APPROACHES)} for {_phrase(k)} are {w(PROBLEMATIC)} "
            f"{w(_CONDITIONS)} {_phrase(k)}."
        )
    x = k.pick(1, 8)
    if x == 0:
        return (
            f"However, {w(EXISTING)} {k.heads} handle {c[1]} only implicitly, which leads to "
            f"{rng.choice(PROBLEMS)} when {o[0]} are {m[2]}."
        )
    if x == 1:
        return (
            f"{_cap(w(EXISTING))} {w(APPROACHES)}, such as {k.concept()} and {k.concept()}, "
            f"reduce {k.concept()} but suffer from {rng.choice(PROBLEMS)}."
        )
    if x == 2:
        return (
            f"Prior work either ignores {c[2]} or assumes {m[2]} {k.concept()}, an assumption "
            f"rarely met by real {o[1]}."
        )
    if x == 3:
        return (
            f"These {w(APPROACHES)} scale poorly: their cost grows {rng.choice(_GROWTH)} in "
            f"the number of {o[0]}, and they cannot exploit {c[2]}."
        )
    if x == 4:
        return (
            f"The {m[1]} setting, where {o[1]} arrive without {k.concept()}, has received "
            f"little attention, and {w(EXISTING)} {k.heads} degrade sharply in it."
        )
    if x == 5:
        return (
            f"Yet {w(EXISTING)} {w(APPROACHES)} are {w(PROBLEMATIC)} when {c[2]} is "
            f"{m[2]}, as it is for most {o[0]}."
        )
    if x == 6:
        return (
            f"A {w(KEY)} limitation is that {k.concept()} and {c[2]} are {k.verb()[:-1]}ed "
            f"separately, so errors in one propagate to the other."
        )
    return (
        f"Despite this progress, little is known about how {c[2]} interacts with "
        f"{k.concept()}, and {w(EXISTING)} {k.heads} offer no guarantees."
    )


def _contribution(k: _Cast) -> str:
    c, m, o = k.c, k.m, k.o
    lead = k.rng.choice(
        (
            f"To address this, we {k.w(PROPOSE)}",
            f"In this paper, we {k.w(PROPOSE)}",
            f"We {k.w(PROPOSE)}",
            f"This work {k.w(PROPOSE)}s",
            f"Here we {k.w(PROPOSE)}",
            f"Motivated by this, we {k.w(PROPOSE)}",
        )
    )
    return (
        f"{lead} {k.intro}{_a(m[0])} {c[0]} {k.head} that {k.verb()} {c[2]} "
        f"{k.rng.choice(_PREPS)} {o[0]}."
    )


def _phrase(k: _Cast) -> str:
    """A noun phrase from the paper's vocabulary, in one of the shapes abstracts use."""
    x = k.rng.random()
    if x < 0.3:
        return f"{k.modifier()} {k.concept()}"
    if x < 0.45:
        return f"the {k.concept()} of {k.modifier()} {k.objects()}"
    if x < 0.6:
        return f"{k.concept()} and {k.concept()}"
    if x < 0.7:
        return f"{k.modifier()} {k.objects()}"
    if x < 0.8:
        return f"{k.concept()}-{k.rng.choice(_SUFFIX_WORDS)} {k.concept()}"
    if x < 0.9:
        return f"the {k.c[k.rng.randrange(4)]} of each {k.rng.choice(HEADS)}"
    return f"{_a(k.coined())} {k.concept()}"


_SUFFIX_WORDS = ("aware", "guided", "free", "based", "driven", "level", "specific", "invariant")


def _method(k: _Cast) -> str:
    """A method sentence put together from parts, as most of an abstract's middle is."""
    rng = k.rng
    x = rng.random()
    if x < 0.4:
        subject = k.ref
    elif x < 0.7:
        subject = f"the {k.modifier()} {rng.choice(HEADS)}"
    else:
        subject = f"each {rng.choice(HEADS)}"
    verb = k.verb() if rng.random() < 0.7 else f"{k.w(ADVERBS)} {k.verb()}"
    text = f"{subject} {verb} {_phrase(k)}"
    if rng.random() < 0.7:
        text += f" {k.w(MANNERS)} {_phrase(k)}"
    if rng.random() < 0.3:
        text += f", which {k.verb()} {_phrase(k)}"
    if rng.random() < 0.45:
        return f"{k.w(OPENERS)} {text}."
    return _cap(text) + "."


def _detail(k: _Cast) -> str:
    rng, c, m, w = k.rng, k.c, k.m, k.w
    if rng.random() < 0.8:  # most method sentences are put together from parts
        return _method(k)
    x = k.pick(2, 11)
    if x == 0:
        return (
            f"{_cap(k.ref)} {k.verb()} {k.modifier()} {k.concept()} {rng.choice(_PREPS)} "
            f"{k.objects()}, and then {k.verb()} the resulting {c[3]} with {_a(m[1])} "
            f"{rng.choice(HEADS)}."
        )
    if x == 1:
        return (
            f"The {w(KEY)} idea is to treat {c[2]} as {_a(k.modifier())} {k.concept()}, "
            f"which {k.verb()} {c[3]} without {k.concept()}."
        )
    if x == 2:
        return (
            f"{_cap(k.ref)} combines {_a(k.modifier())} {rng.choice(HEADS)} with "
            f"{_a(k.coined())} {k.concept()} {rng.choice(HEADS)}, trained jointly end-to-end."
        )
    if x == 3:
        return (
            f"Unlike {w(EXISTING)} {k.heads}, {k.ref} requires no {k.concept()} and adds only "
            f"{rng.choice(('a few', str(rng.randint(2, 64)) + 'K', '0.' + str(rng.randint(1, 9)) + '%'))} "
            f"parameters."
        )
    if x == 4:
        return (
            f"We encode {c[3]} with {_a(k.coined())} {k.concept()}, so that {k.modifier()} "
            f"{k.objects()} share {k.concept()}."
        )
    if x == 5:
        return (
            f"{_cap(_a(k.modifier()))} {k.concept()} term keeps the {c[1]} {k.modifier()} "
            f"throughout training, and {_a(k.modifier())} {k.concept()} step {k.verb()} it "
            f"at test time."
        )
    if x == 6:
        return (
            f"Specifically, {k.ref} {k.verb()} the {k.concept()} {rng.choice(_PREPS)} "
            f"{k.modifier()} {k.objects()} and {k.verb()} the {c[0]} in a single pass."
        )
    if x == 7:
        return (
            f"To make this tractable, we "
            f"{rng.choice(('approximate', 'relax', 'factorize', 'sketch', 'linearize', 'bound'))} "
            f"the {k.concept()} by {_a(k.modifier())} {rng.choice(HEADS)} whose {k.concept()} "
            f"is computed in closed form."
        )
    if x == 8:
        return (
            f"At its core is {_a(k.modifier())} {rng.choice(HEADS)} over {k.concept()}, "
            f"learned from {k.modifier()} {k.objects()} with {k.concept()} as supervision."
        )
    if x == 9:
        return (
            f"Each {rng.choice(HEADS)} {k.verb()} its own {k.concept()}, and a "
            f"{k.modifier()} {k.concept()} {rng.choice(HEADS)} reconciles them."
        )
    return (
        f"We instantiate {k.ref} with {k.model()} and {_a(k.coined())} {rng.choice(HEADS)}, "
        f"and {w(SHOW)} that the two are complementary."
    )


_PROVE = ("prove", "show", "establish", "derive", "argue", "verify formally", "characterize when")


def _theory(k: _Cast) -> str:
    rng, c, m = k.rng, k.c, k.m
    if rng.random() < 0.6:
        return (
            f"{rng.choice(('We', 'Theoretically, we', 'Under mild conditions, we', 'In addition, we'))} "
            f"{k.w(_PROVE)} that {_phrase(k)} {k.verb()} {_phrase(k)} {k.w(MANNERS)} {_phrase(k)}."
        )
    x = rng.randrange(3)
    if x == 0:
        return (
            f"We prove that {k.ref} attains {k.math()} error in {c[2]} under {m[2]} {k.concept()} "
            f"assumptions, matching the known lower bound."
        )
    if x == 1:
        return (
            f"Theoretically, we derive {_a(k.modifier())} bound on the {k.concept()} that "
            f"depends only on the {k.concept()} of the {k.objects()}, and show it is tight up "
            f"to {k.math()}."
        )
    return (
        f"Our {k.w(ANALYSIS)} identifies {k.concept()} as the quantity that governs "
        f"{c[2]}, with a rate of {k.math()} in the {m[1]} regime."
    )


_WHERE = ("On", "Across", "In experiments on", "Evaluated on", "Tested on", "Using", "On both")


def _experiments(k: _Cast) -> str:
    rng, w = k.rng, k.w
    if rng.random() < 0.5:
        data = k.dataset() if rng.random() < 0.5 else f"{k.dataset()} and {k.dataset()}"
        return (
            f"{w(_WHERE)} {data}, {k.ref} {w(IMPROVES)} "
            f"{METRICS[zipf(rng, len(METRICS))]} {w(MANNERS)} {_phrase(k)}"
            f"{rng.choice(('', ' by a wide margin', ' over ' + w(EXISTING) + ' ' + w(APPROACHES)))}."
        )
    x = k.pick(3, 8)
    gain = f"{rng.randint(1, 25)}.{rng.randint(0, 9)}"
    metric = METRICS[zipf(rng, len(METRICS))]
    if x == 0:
        return (
            f"{_cap(w(EXPERIMENTS))} on {k.dataset()}, {k.dataset()} and {k.dataset()} "
            f"{w(SHOW)} that {k.ref} {w(IMPROVES)} {metric} by {gain} points over "
            f"{k.modifier()} {k.concept()} baselines."
        )
    if x == 1:
        return (
            f"Extensive {w(EXPERIMENTS)} across {k.model()} and {k.model()} backbones "
            f"{w(SHOW)} that {k.ref} consistently outperforms {k.concept()} and "
            f"{k.concept()} baselines on {rng.randint(3, 31)} benchmarks."
        )
    if x == 2:
        return (
            f"On {rng.randint(2, 900) * 100:,} {k.objects()} from {k.dataset()}, {k.ref} "
            f"{w(REDUCES)} the error by {k.percent(gain)} while using "
            f"{rng.randint(2, 12)}x fewer {k.concept()}."
        )
    if x == 3:
        return (
            f"We evaluate {k.ref} on {k.dataset()} and {k.dataset()} with {k.model()}, where "
            f"it reaches {k.percent(str(rng.randint(40, 99)) + '.' + str(rng.randint(0, 9)))} "
            f"{metric}, against {k.percent(str(rng.randint(20, 80)))} for the best baseline."
        )
    if x == 4:
        return (
            f"In simulations and on {rng.randint(1990, 2025)} {k.objects()} data, {k.ref} "
            f"recovers the {k.c[1]} {gain}{'x' if rng.random() < 0.5 else ' times'} more "
            f"accurately than {k.modifier()} {k.concept()}."
        )
    if x == 5:
        return (
            f"{_cap(w(EXPERIMENTS))} on {w(NUMEROUS)} collections of {k.objects()} "
            f"{w(SHOW)} {_a(w(SIGNIFICANT))} gain in {metric} ({k.percent(gain)}) at "
            f"{rng.choice(('no', 'little', 'modest', 'negligible'))} extra cost."
        )
    if x == 6:
        return (
            f"Compared with {k.model()}, {k.ref} {w(IMPROVES)} {metric} from "
            f"{rng.randint(20, 60)}.{rng.randint(0, 9)} to {rng.randint(61, 95)}.{rng.randint(0, 9)} "
            f"on {k.dataset()}."
        )
    return (
        f"On {k.dataset()}, a new {k.modifier()} benchmark of {rng.randint(2, 90) * 100} "
        f"{k.objects()}, {k.ref} is the only {k.head} to exceed "
        f"{k.percent(str(rng.randint(30, 90)))} {metric}."
    )


def _finding(k: _Cast) -> str:
    rng, c, w = k.rng, k.c, k.w
    if rng.random() < 0.5:
        return (
            f"{_cap(w(_RESULTS))} {w(SHOW)} that {_phrase(k)} {k.verb()} {_phrase(k)} "
            f"{w(MANNERS)} {_phrase(k)}."
        )
    x = k.pick(4, 7)
    if x == 0:
        return (
            f"Further {w(ANALYSIS)} shows that {c[2]} matters more than {k.concept()}, and "
            f"that gains are largest on {k.modifier()} {k.objects()}."
        )
    if x == 1:
        return (
            f"Ablations attribute most of the improvement to the {k.modifier()} "
            f"{rng.choice(HEADS)}."
        )
    if x == 2:
        return (
            f"Surprisingly, {k.concept()} alone recovers {k.percent(str(rng.randint(30, 95)))} "
            f"of the gain, which suggests that {c[3]} is the bottleneck."
        )
    if x == 3:
        return (
            f"We also find that {k.ref} {k.verb()} {k.concept()} it was never trained on, "
            f"including {k.modifier()} {k.objects()}."
        )
    if x == 4:
        return (
            f"The learned {k.concept()} is {w(EFFECTIVE)} and interpretable: it aligns with "
            f"{k.modifier()} {k.concept()} annotated by experts."
        )
    if x == 5:
        return (
            f"These results {w(SHOW)} that {k.modifier()} {c[0]} is {_a(w(EFFECTIVE))} "
            f"alternative to {k.concept()} for {k.objects()}."
        )
    return (
        f"Our {w(ANALYSIS)} also exposes failure cases: {k.modifier()} {k.objects()} and "
        f"{k.concept()} with {k.modifier()} {k.concept()}."
    )


_RESULTS = (
    "our results",
    "further analyses",
    "ablations",
    "case studies",
    "qualitative examples",
    "these findings",
    "probing experiments",
    "error analyses",
    "visualizations",
    "controlled studies",
)


def _release(k: _Cast) -> str:
    rng = k.rng
    name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
    return (
        f"We release {name}, a dataset of {rng.randint(1, 500) * 100:,} {k.objects()} "
        f"annotated with {k.concept()} and {k.concept()}."
    )


def _markup(k: _Cast, sentences: list[str], at: int) -> None:
    """One more LaTeX or Markdown fragment of the kinds the seeds show."""
    rng = k.rng
    x = rng.randrange(5)
    if x == 0:
        text = f"We set $k={rng.randint(2, 64)}$ anchors per step and \\emph{{i.e.}} one pass."
    elif x == 1:
        text = (
            f"The {k.concept()} is ``{k.modifier()}'' when $\\alpha \\to 0$ and stable otherwise."
        )
    elif x == 2:
        text = f"It runs ~{rng.randint(1, 4)}.{rng.randint(10, 99)}$\\times$ faster than {k.concept()}."
    elif x == 3:
        text = f"Training takes \\(r={rng.randint(2, 40)}\\) rounds, far fewer than before."
    else:
        text = (
            f"We call the resulting {k.head} \\textit{{{_cap(k.modifier())} {_cap(k.concept())}}}."
        )
    sentences.insert(at, text)


def abstract(
    rng: random.Random, topic: Topic, title: str, code_url: str | None, latex: bool
) -> str:
    """An abstract for the paper titled ``title``, drawn from ``rng`` (the abstracts' stream)."""
    k = _Cast(rng, topic, title, latex)
    target = min(1950, max(560, int(rng.gauss(1330, 300))))
    context = [_context(k)]
    gap = [_gap(k)]
    details = [_detail(k)]
    experiments = [_experiments(k)]
    theory: list[str] = []
    findings: list[str] = []
    length = sum(map(len, context + gap + details + experiments)) + 220
    while length < target:
        x = rng.random()
        if x < 0.35:
            s = _detail(k)
            details.append(s)
        elif x < 0.5 and not theory:
            s = _theory(k)
            theory.append(s)
        elif x < 0.65 and len(experiments) < 3:
            s = _experiments(k)
            experiments.append(s)
        elif x < 0.8:
            s = _finding(k)
            findings.append(s)
        elif x < 0.9 and len(context) < 3:
            s = _context(k)
            context.append(s)
        else:
            s = _gap(k)
            gap.append(s)
        length += len(s) + 1
    contribution = _contribution(k)
    sentences = [*context, *gap, contribution, *details, *theory, *experiments, *findings]
    task = _TASK.search(title) if rng.random() < 0.4 else None
    if task:  # the title's task, restated as some abstracts do
        sentences.insert(1, _task(k, task.group().lower()))
    if latex and rng.random() < 0.6:
        _markup(k, sentences, sentences.index(contribution) + 1)
    if rng.random() < 0.1:
        sentences.append(_release(k))
    if code_url:
        form = rng.random()
        if form < 0.8:
            sentences.append(f"Code is available at {code_url}.")
        elif form < 0.9:
            sentences.append(f"Code: {code_url}")
        else:
            sentences.append(f"See \\href{{{code_url}}}{{{code_url}}}.")
    return " ".join(sentences)
