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
  details, theory, experiments, findings, release, code. Each role has several phrasings;
  the optional roles are added until the abstract reaches a length drawn from the seeds'
  (mean about 1,350 characters, 600 to 1,900).
* **Markup** on about one abstract in five (``$...$``, ``\\(...\\)``, ``\\textbf``,
  ``**bold**``, ``\\emph``, ``\\%``, LaTeX quotes, Greek letters), as the seeds have it.

Each paper's abstract has its own random stream, seeded from the corpus seed and the
paper number, so a change here changes the abstracts only, not the people or titles.
"""

from __future__ import annotations

import random
import re
from math import gcd
from typing import TYPE_CHECKING, TypeVar

from kg.tools.generate.text import PROBLEMS, TASKS, acronym
from kg.tools.generate.vocabulary import (
    CONCEPTS,
    HEADS,
    METRICS,
    MODEL_FAMILIES,
    MODIFIERS,
    NAME_HEADS,
    NAME_TAILS,
    OBJECTS,
    PREFIXES,
    SUFFIXES,
    VERBS,
)

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = ["Vocabulary", "abstract"]

_T = TypeVar("_T")
_CONCEPTS = tuple(dict.fromkeys(CONCEPTS))
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

    __slots__ = ("coined", "concepts", "heads", "modifiers", "names", "objects", "verbs")

    def __init__(self, rng: random.Random) -> None:
        def shuffled(words: tuple[str, ...]) -> tuple[str, ...]:
            order = list(words)
            rng.shuffle(order)
            return tuple(order)

        self.concepts = shuffled(_CONCEPTS)
        self.modifiers = shuffled(MODIFIERS)
        self.objects = shuffled(OBJECTS)
        self.heads = shuffled(HEADS)
        self.verbs = shuffled(VERBS)
        # Name spaces too large to shuffle: rank r maps to (a*r + b) mod size, a bijection.
        self.names = _affine(rng, len(NAME_HEADS) * len(NAME_TAILS))
        self.coined = _affine(rng, len(PREFIXES) * len(SUFFIXES))


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
        "ref",
        "rng",
        "topic",
        "used",
    )

    def __init__(self, rng: random.Random, topic: Topic, title: str, latex: bool) -> None:
        self.rng, self.topic, self.latex = rng, topic, latex
        self.c = [self.concept() for _ in range(4)]
        self.m = [self.modifier() for _ in range(3)]
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
    def concept(self) -> str:
        words = self.topic.concepts
        return words[int((len(words) + 1) ** self.rng.random()) - 1]

    def modifier(self) -> str:
        words = self.topic.modifiers
        return words[int((len(words) + 1) ** self.rng.random()) - 1]

    def objects(self) -> str:
        words = self.topic.objects
        return words[int((len(words) + 1) ** self.rng.random()) - 1]

    def verb(self) -> str:
        words = self.topic.verbs
        return words[int((len(words) + 1) ** self.rng.random()) - 1]

    def coined(self) -> str:
        a, b, size = self.topic.coined
        i = (a * zipf(self.rng, size) + b) % size
        return PREFIXES[i // len(SUFFIXES)] + SUFFIXES[i % len(SUFFIXES)]

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
                return name, f"{bold} ({' '.join(words)}), a "
            if x < 0.65:
                name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
            elif x < 0.8:
                name = acronym(rng)
            else:
                return None, "a "
        return name, f"{self.bold(name)}, a "

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


def _context(k: _Cast) -> str:
    rng, c, m, o = k.rng, k.c, k.m, k.o
    x = k.pick(0, 7)
    if x == 0:
        return (
            f"{_cap(c[0])} is a central problem in {c[1]} for {o[0]}, with applications "
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
        return f"Learning {m[0]} {c[0]} from {o[0]} is hard because of {rng.choice(PROBLEMS)}."
    if x == 4:
        return (
            f"{_cap(o[0])} and {o[1]} are increasingly studied with {c[1]}, and {m[0]} "
            f"{c[0]} is now a standard tool for {k.concept()}."
        )
    if x == 5:
        return (
            f"Recent work on {c[0]} has shown that {m[0]} {k.heads} can capture {k.concept()} "
            f"in {o[0]} far better than {m[1]} ones."
        )
    return (
        f"Many questions about {o[0]} reduce to {c[0]}: given {m[0]} observations, "
        f"recover the {k.concept()} that produced them."
    )


def _gap(k: _Cast) -> str:
    rng, c, m, o = k.rng, k.c, k.m, k.o
    x = k.pick(1, 5)
    if x == 0:
        return (
            f"However, existing {k.heads} handle {c[1]} only implicitly, which leads to "
            f"{rng.choice(PROBLEMS)} when {o[0]} are {m[2]}."
        )
    if x == 1:
        return (
            f"Existing approaches, such as {k.concept()} and {k.concept()}, reduce "
            f"{k.concept()} but suffer from {rng.choice(PROBLEMS)}."
        )
    if x == 2:
        return (
            f"Prior work either ignores {c[2]} or assumes {m[2]} {k.concept()}, an assumption "
            f"rarely met by real {o[1]}."
        )
    if x == 3:
        return (
            f"These methods scale poorly: their cost grows {rng.choice(_GROWTH)} in the number "
            f"of {o[0]}, and they cannot exploit {c[2]}."
        )
    return (
        f"The {m[1]} setting, where {o[1]} arrive without {k.concept()}, has received "
        f"little attention, and current {k.heads} degrade sharply in it."
    )


def _contribution(k: _Cast) -> str:
    c, m, o = k.c, k.m, k.o
    lead = k.rng.choice(
        (
            "To address this, we propose",
            "In this paper, we introduce",
            "We present",
            "This work develops",
            "We propose",
        )
    )
    return (
        f"{lead} {k.intro}{m[0]} {c[0]} {k.head} that {k.verb()} {c[2]} "
        f"{k.rng.choice(_PREPS)} {o[0]}."
    )


def _detail(k: _Cast) -> str:
    rng, c, m = k.rng, k.c, k.m
    x = k.pick(2, 8)
    if x == 0:
        return (
            f"{_cap(k.ref)} {k.verb()} {k.modifier()} {k.concept()} {rng.choice(_PREPS)} "
            f"{k.objects()}, and then {k.verb()} the resulting {c[3]} with a {m[1]} "
            f"{k.rng.choice(HEADS)}."
        )
    if x == 1:
        return (
            f"The key idea is to treat {c[2]} as a {k.modifier()} {k.concept()}, which "
            f"{k.verb()} {c[3]} without {k.concept()}."
        )
    if x == 2:
        return (
            f"{_cap(k.ref)} combines a {k.modifier()} {rng.choice(HEADS)} with a "
            f"{k.coined()} {k.concept()} {rng.choice(HEADS)}, trained jointly end-to-end."
        )
    if x == 3:
        return (
            f"Unlike prior {k.heads}, {k.ref} requires no {k.concept()} and adds only "
            f"{rng.choice(('a few', str(rng.randint(2, 64)) + 'K', '0.' + str(rng.randint(1, 9)) + '%'))} "
            f"parameters."
        )
    if x == 4:
        return (
            f"We encode {c[3]} with a {k.coined()} {k.concept()}, so that {k.modifier()} "
            f"{k.objects()} share {k.concept()}."
        )
    if x == 5:
        return (
            f"A {k.modifier()} {k.concept()} term keeps the {c[1]} {k.modifier()} throughout "
            f"training, and a {k.modifier()} {k.concept()} step {k.verb()} it at test time."
        )
    if x == 6:
        return (
            f"Specifically, {k.ref} {k.verb()} the {k.concept()} {rng.choice(_PREPS)} "
            f"{k.modifier()} {k.objects()} and {k.verb()} the {c[0]} in a single pass."
        )
    return (
        f"To make this tractable, we {rng.choice(('approximate', 'relax', 'factorize', 'sketch'))} "
        f"the {k.concept()} by a {k.modifier()} {rng.choice(HEADS)} whose {k.concept()} is "
        f"computed in closed form."
    )


def _theory(k: _Cast) -> str:
    rng, c, m = k.rng, k.c, k.m
    if rng.random() < 0.5:
        return (
            f"We prove that {k.ref} attains {k.math()} {c[2]} under {m[2]} {k.concept()} "
            f"assumptions, matching the known lower bound."
        )
    return (
        f"Theoretically, we derive a {k.modifier()} bound on the {k.concept()} that depends "
        f"only on the {k.concept()} of the {k.objects()}, and show it is tight up to {k.math()}."
    )


def _experiments(k: _Cast) -> str:
    rng = k.rng
    x = k.pick(3, 5)
    gain = f"{rng.randint(1, 25)}.{rng.randint(0, 9)}"
    metric = METRICS[zipf(rng, len(METRICS))]
    if x == 0:
        return (
            f"Experiments on {k.dataset()}, {k.dataset()} and {k.dataset()} show that {k.ref} "
            f"improves {metric} by {gain} points over {k.modifier()} {k.concept()} baselines."
        )
    if x == 1:
        return (
            f"Extensive experiments across {k.model()} and {k.model()} backbones demonstrate "
            f"that {k.ref} consistently outperforms {k.concept()} and {k.concept()} baselines "
            f"on {rng.randint(3, 31)} benchmarks."
        )
    if x == 2:
        return (
            f"On {rng.randint(2, 900) * 100:,} {k.objects()} from {k.dataset()}, {k.ref} "
            f"reduces {metric} by {k.percent(gain)} while using "
            f"{rng.randint(2, 12)}x fewer {k.concept()}."
        )
    if x == 3:
        return (
            f"We evaluate {k.ref} on {k.dataset()} and {k.dataset()} with {k.model()}, where "
            f"it reaches {k.percent(str(rng.randint(40, 99)) + '.' + str(rng.randint(0, 9)))} "
            f"{metric}, against {k.percent(str(rng.randint(20, 80)))} for the best baseline."
        )
    return (
        f"In simulations and on {rng.randint(1990, 2025)} {k.objects()} data, {k.ref} "
        f"recovers the {k.c[1]} with {gain}{'x' if rng.random() < 0.5 else ' times'} lower "
        f"{metric} than {k.modifier()} {k.concept()}."
    )


def _finding(k: _Cast) -> str:
    rng, c = k.rng, k.c
    x = k.pick(4, 4)
    if x == 0:
        return (
            f"Further analysis shows that {c[2]} matters more than {k.concept()}, and that "
            f"gains are largest on {k.modifier()} {k.objects()}."
        )
    if x == 1:
        return f"Ablations attribute most of the improvement to the {k.modifier()} {rng.choice(HEADS)}."
    if x == 2:
        return (
            f"Surprisingly, {k.concept()} alone recovers {k.percent(str(rng.randint(30, 95)))} "
            f"of the gain, which suggests that {c[3]} is the bottleneck."
        )
    return (
        f"We also find that {k.ref} {k.verb()} {k.concept()} it was never trained on, "
        f"including {k.modifier()} {k.objects()}."
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
    """An abstract for the paper titled ``title`` (``rng`` is the paper's own stream)."""
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
    task = _TASK.search(title)
    if task:  # the title's task, restated as abstracts do
        sentences.insert(
            1, f"We focus on {task.group().lower()}, where {k.c[1]} is the main difficulty."
        )
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
