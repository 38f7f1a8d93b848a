"""The sentences of an abstract, by role (context, gap, contribution, method details,
theory, experiments, findings, release, markup), each drawn from a :class:`.topics.Cast`.

See :mod:`.abstracts` for the order they come in.
"""

from __future__ import annotations

from kg.tools.generate.text import PROBLEMS
from kg.tools.generate.topics import Cast, article, cap, zipf
from kg.tools.generate.vocabulary import (
    ADVERBS,
    ANALYSIS,
    APPROACHES,
    EFFECTIVE,
    EXISTING,
    EXPERIMENTS,
    HARD,
    HEADS,
    IMPROVES,
    KEY,
    MANNERS,
    METRICS,
    NAME_HEADS,
    NAME_TAILS,
    NUMEROUS,
    OPENERS,
    PROBLEMATIC,
    PROPOSE,
    REDUCES,
    SHOW,
    SIGNIFICANT,
)

_PREPS = ("across", "over", "for", "on", "from", "within", "between")
_GROWTH = ("quadratically", "linearly", "exponentially", "cubically")


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


def context(k: Cast) -> str:
    rng, c, m, o, w = k.rng, k.c, k.m, k.o, k.w
    if rng.random() < 0.5:
        return cap(f"{phrase(k)} {w(_STATES)} {phrase(k)}, {applications(k)}.")
    x = k.pick(0, 10)
    if x == 0:
        return (
            f"{cap(c[0])} is {article(w(KEY))} problem in {c[1]} for {o[0]}, with applications "
            f"ranging from {k.concept()} to {k.concept()}."
        )
    if x == 1:
        return (
            f"{cap(m[0])} {c[0]} has emerged as a promising alternative to {k.concept()} in "
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
            f"{cap(o[0])} and {o[1]} are increasingly studied through {c[1]}, and {m[0]} "
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
            f"{w(EXISTING)} {w(APPROACHES)} treat as {article(m[1])} afterthought."
        )
    if x == 8:
        return (
            f"Whether {m[0]} {c[0]} helps {k.concept()} on {o[0]} is an open question, "
            f"and the evidence so far is mixed."
        )
    return (
        f"{cap(c[1])} over {o[0]} has attracted growing interest, driven by {m[1]} "
        f"{k.concept()} and by the availability of {k.modifier()} {o[1]}."
    )


def task_sentence(k: Cast, task: str) -> str:
    x = k.rng.randrange(3)
    if x == 0:
        return f"We focus on {task}, where {k.c[1]} is the {k.w(KEY)} difficulty."
    if x == 1:
        return f"In {task}, this shows up as {k.modifier()} {k.concept()}."
    return f"{cap(task)} is a case in point: {k.objects()} rarely come with {k.c[1]}."


_NOTABLY = ("especially", "notably", "in particular", "above all", "not least", "chiefly")


def applications(k: Cast) -> str:
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


def gap(k: Cast) -> str:
    rng, c, m, o, w = k.rng, k.c, k.m, k.o, k.w
    if rng.random() < 0.5:
        return (
            f"{cap(w(EXISTING))} {w(APPROACHES)} for {phrase(k)} are {w(PROBLEMATIC)} "
            f"{w(_CONDITIONS)} {phrase(k)}."
        )
    x = k.pick(1, 8)
    if x == 0:
        return (
            f"However, {w(EXISTING)} {k.heads} handle {c[1]} only implicitly, which leads to "
            f"{rng.choice(PROBLEMS)} when {o[0]} are {m[2]}."
        )
    if x == 1:
        return (
            f"{cap(w(EXISTING))} {w(APPROACHES)}, such as {k.concept()} and {k.concept()}, "
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


def contribution(k: Cast) -> str:
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
        f"{lead} {k.intro}{article(m[0])} {c[0]} {k.head} that {k.verb()} {c[2]} "
        f"{k.rng.choice(_PREPS)} {o[0]}."
    )


def phrase(k: Cast) -> str:
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
    return f"{article(k.coined())} {k.concept()}"


_SUFFIX_WORDS = ("aware", "guided", "free", "based", "driven", "level", "specific", "invariant")


def method(k: Cast) -> str:
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
    text = f"{subject} {verb} {phrase(k)}"
    if rng.random() < 0.7:
        text += f" {k.w(MANNERS)} {phrase(k)}"
    if rng.random() < 0.3:
        text += f", which {k.verb()} {phrase(k)}"
    if rng.random() < 0.45:
        return f"{k.w(OPENERS)} {text}."
    return cap(text) + "."


def detail(k: Cast) -> str:
    rng, c, m, w = k.rng, k.c, k.m, k.w
    if rng.random() < 0.8:  # most method sentences are put together from parts
        return method(k)
    x = k.pick(2, 11)
    if x == 0:
        return (
            f"{cap(k.ref)} {k.verb()} {k.modifier()} {k.concept()} {rng.choice(_PREPS)} "
            f"{k.objects()}, and then {k.verb()} the resulting {c[3]} with {article(m[1])} "
            f"{rng.choice(HEADS)}."
        )
    if x == 1:
        return (
            f"The {w(KEY)} idea is to treat {c[2]} as {article(k.modifier())} {k.concept()}, "
            f"which {k.verb()} {c[3]} without {k.concept()}."
        )
    if x == 2:
        return (
            f"{cap(k.ref)} combines {article(k.modifier())} {rng.choice(HEADS)} with "
            f"{article(k.coined())} {k.concept()} {rng.choice(HEADS)}, trained jointly end-to-end."
        )
    if x == 3:
        return (
            f"Unlike {w(EXISTING)} {k.heads}, {k.ref} requires no {k.concept()} and adds only "
            f"{rng.choice(('a few', str(rng.randint(2, 64)) + 'K', '0.' + str(rng.randint(1, 9)) + '%'))} "
            f"parameters."
        )
    if x == 4:
        return (
            f"We encode {c[3]} with {article(k.coined())} {k.concept()}, so that {k.modifier()} "
            f"{k.objects()} share {k.concept()}."
        )
    if x == 5:
        return (
            f"{cap(article(k.modifier()))} {k.concept()} term keeps the {c[1]} {k.modifier()} "
            f"throughout training, and {article(k.modifier())} {k.concept()} step {k.verb()} it "
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
            f"the {k.concept()} by {article(k.modifier())} {rng.choice(HEADS)} whose {k.concept()} "
            f"is computed in closed form."
        )
    if x == 8:
        return (
            f"At its core is {article(k.modifier())} {rng.choice(HEADS)} over {k.concept()}, "
            f"learned from {k.modifier()} {k.objects()} with {k.concept()} as supervision."
        )
    if x == 9:
        return (
            f"Each {rng.choice(HEADS)} {k.verb()} its own {k.concept()}, and a "
            f"{k.modifier()} {k.concept()} {rng.choice(HEADS)} reconciles them."
        )
    return (
        f"We instantiate {k.ref} with {k.model()} and {article(k.coined())} {rng.choice(HEADS)}, "
        f"and {w(SHOW)} that the two are complementary."
    )


_PROVE = ("prove", "show", "establish", "derive", "argue", "verify formally", "characterize when")


def theory(k: Cast) -> str:
    rng, c, m = k.rng, k.c, k.m
    if rng.random() < 0.6:
        return (
            f"{rng.choice(('We', 'Theoretically, we', 'Under mild conditions, we', 'In addition, we'))} "
            f"{k.w(_PROVE)} that {phrase(k)} {k.verb()} {phrase(k)} {k.w(MANNERS)} {phrase(k)}."
        )
    x = rng.randrange(3)
    if x == 0:
        return (
            f"We prove that {k.ref} attains {k.math()} error in {c[2]} under {m[2]} {k.concept()} "
            f"assumptions, matching the known lower bound."
        )
    if x == 1:
        return (
            f"Theoretically, we derive {article(k.modifier())} bound on the {k.concept()} that "
            f"depends only on the {k.concept()} of the {k.objects()}, and show it is tight up "
            f"to {k.math()}."
        )
    return (
        f"Our {k.w(ANALYSIS)} identifies {k.concept()} as the quantity that governs "
        f"{c[2]}, with a rate of {k.math()} in the {m[1]} regime."
    )


_WHERE = ("On", "Across", "In experiments on", "Evaluated on", "Tested on", "Using", "On both")


def experiments(k: Cast) -> str:
    rng, w = k.rng, k.w
    if rng.random() < 0.5:
        data = k.dataset() if rng.random() < 0.5 else f"{k.dataset()} and {k.dataset()}"
        return (
            f"{w(_WHERE)} {data}, {k.ref} {w(IMPROVES)} "
            f"{METRICS[zipf(rng, len(METRICS))]} {w(MANNERS)} {phrase(k)}"
            f"{rng.choice(('', ' by a wide margin', ' over ' + w(EXISTING) + ' ' + w(APPROACHES)))}."
        )
    x = k.pick(3, 8)
    gain = f"{rng.randint(1, 25)}.{rng.randint(0, 9)}"
    metric = METRICS[zipf(rng, len(METRICS))]
    if x == 0:
        return (
            f"{cap(w(EXPERIMENTS))} on {k.dataset()}, {k.dataset()} and {k.dataset()} "
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
            f"{cap(w(EXPERIMENTS))} on {w(NUMEROUS)} collections of {k.objects()} "
            f"{w(SHOW)} {article(w(SIGNIFICANT))} gain in {metric} ({k.percent(gain)}) at "
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


def finding(k: Cast) -> str:
    rng, c, w = k.rng, k.c, k.w
    if rng.random() < 0.5:
        return (
            f"{cap(w(_RESULTS))} {w(SHOW)} that {phrase(k)} {k.verb()} {phrase(k)} "
            f"{w(MANNERS)} {phrase(k)}."
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
            f"These results {w(SHOW)} that {k.modifier()} {c[0]} is {article(w(EFFECTIVE))} "
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


def release(k: Cast) -> str:
    rng = k.rng
    name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
    return (
        f"We release {name}, a dataset of {rng.randint(1, 500) * 100:,} {k.objects()} "
        f"annotated with {k.concept()} and {k.concept()}."
    )


def markup(k: Cast, sentences: list[str], at: int) -> None:
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
        text = f"We call the resulting {k.head} \\textit{{{cap(k.modifier())} {cap(k.concept())}}}."
    sentences.insert(at, text)
