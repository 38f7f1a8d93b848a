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

from kg.tools.generate import sentences as roles
from kg.tools.generate.text import TASKS
from kg.tools.generate.topics import Cast, Topic, Vocabulary

__all__ = ["Topic", "Vocabulary", "abstract"]

_TASK = re.compile("|".join(re.escape(t) for t in sorted(TASKS, key=len, reverse=True)))


def abstract(
    rng: random.Random, topic: Topic, title: str, code_url: str | None, latex: bool
) -> str:
    """An abstract for the paper titled ``title``, drawn from ``rng`` (the abstracts' stream)."""
    k = Cast(rng, topic, title, latex)
    target = min(1950, max(560, int(rng.gauss(1330, 300))))
    context = [roles.context(k)]
    gap = [roles.gap(k)]
    details = [roles.detail(k)]
    experiments = [roles.experiments(k)]
    theory: list[str] = []
    findings: list[str] = []
    length = sum(map(len, context + gap + details + experiments)) + 220
    while length < target:
        x = rng.random()
        if x < 0.35:
            s = roles.detail(k)
            details.append(s)
        elif x < 0.5 and not theory:
            s = roles.theory(k)
            theory.append(s)
        elif x < 0.65 and len(experiments) < 3:
            s = roles.experiments(k)
            experiments.append(s)
        elif x < 0.8:
            s = roles.finding(k)
            findings.append(s)
        elif x < 0.9 and len(context) < 3:
            s = roles.context(k)
            context.append(s)
        else:
            s = roles.gap(k)
            gap.append(s)
        length += len(s) + 1
    contribution = roles.contribution(k)
    sentences = [*context, *gap, contribution, *details, *theory, *experiments, *findings]
    task = _TASK.search(title) if rng.random() < 0.4 else None
    if task:  # the title's task, restated as some abstracts do
        sentences.insert(1, roles.task_sentence(k, task.group().lower()))
    if latex and rng.random() < 0.6:
        roles.markup(k, sentences, sentences.index(contribution) + 1)
    if rng.random() < 0.1:
        sentences.append(roles.release(k))
    if code_url:
        form = rng.random()
        if form < 0.8:
            sentences.append(f"Code is available at {code_url}.")
        elif form < 0.9:
            sentences.append(f"Code: {code_url}")
        else:
            sentences.append(f"See \\href{{{code_url}}}{{{code_url}}}.")
    return " ".join(sentences)
