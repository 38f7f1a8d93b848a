"""People with unique names, and the variant forms their names take in papers' metadata."""

from __future__ import annotations

import random

from kg.normalize import name_key
from kg.tools.generate.model import Person, Proportions
from kg.tools.generate.names import (
    AR_GIVEN,
    AR_SURNAMES,
    CN_SURNAMES,
    CN_SYLLABLES,
    IN_GIVEN,
    IN_SURNAMES,
    JP_GIVEN,
    JP_SURNAMES,
    KR_GIVEN,
    KR_SURNAMES,
    RU_FEMALE,
    RU_GIVEN,
    RU_SURNAMES,
    TRANSLIT,
)
from kg.tools.generate.spelling import ascii_fold, initials, typo
from kg.tools.generate.western_names import (
    DIACRITIC_SURNAMES,
    WEST_APOSTROPHE_SURNAMES,
    WEST_GIVEN,
    WEST_GIVEN_DIACRITIC,
    WEST_HYPHEN_SURNAMES,
    WEST_PARTICLE_SURNAMES,
    WEST_SURNAME_ROOTS,
    WEST_SURNAME_SUFFIXES,
    WEST_SURNAMES,
)


def variant_forms(p: Person, rng: random.Random, typo_share: float) -> list[str]:
    """The other ways this person's name gets written (stable per person, as in real metadata)."""
    forms: list[str] = []
    given, surname = p.given, p.surname
    forms.append(f"{initials(given[:1])} {surname}")
    if len(given) > 1:
        forms.append(f"{initials(given)} {surname}")
        forms.append(f"{given[0]} {surname}")  # middle name dropped
        forms.append(f"{given[0]} {given[1][0]}. {surname}")  # middle initial
    if p.origin in ("cn", "kr"):
        g = given[0]
        if "-" in g:
            forms.append(f"{g.replace('-', '').capitalize()} {surname}")
            forms.append(f"{g.replace('-', ' ')} {surname}")
        else:
            split = pinyin_split(g)
            if split:
                forms.append(f"{split[0]}-{split[1].capitalize()} {surname}")
                forms.append(f"{split[0]} {split[1].capitalize()} {surname}")
        forms.append(f"{surname} {g}")  # family name first
    ascii_name = ascii_fold(p.name)
    if ascii_name != p.name:
        forms.append(ascii_name)
    for part in (*given, surname):
        for alt in TRANSLIT.get(part, ()):
            forms.append(p.name.replace(part, alt))
    if rng.random() < typo_share:
        tokens = [t for t in (*given, *surname.split()) if t.isalpha()]
        target = max(tokens, key=len, default="")
        if len(target) >= 6:
            forms.append(p.name.replace(target, typo(target, rng), 1))
    seen = {p.name}
    out = []
    for f in forms:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


_SYLLABLE_SET = frozenset(CN_SYLLABLES)


def pinyin_split(given: str) -> tuple[str, str] | None:
    low = given.lower()
    for i in range(1, len(low)):
        if low[:i] in _SYLLABLE_SET and low[i:] in _SYLLABLE_SET:
            return given[:i], low[i:]
    return None


class People:
    """Draws people with unique full names (the generator's truth is unambiguous by construction,
    except for the deliberate homonyms)."""

    def __init__(self, rng: random.Random, props: Proportions) -> None:
        self.rng = rng
        self.props = props
        self.people: list[Person] = []
        self.names: set[str] = set()
        self.homonyms: list[tuple[int, int]] = []

    def _draw(self) -> tuple[list[str], str, str]:
        rng = self.rng
        r = rng.random()
        if r < 0.50:
            s1, s2 = rng.choice(CN_SYLLABLES), rng.choice(CN_SYLLABLES)
            first = (s1 + s2).capitalize() if rng.random() < 0.8 else s1.capitalize()
            return [first], rng.choice(CN_SURNAMES), "cn"
        if r < 0.82:
            first = (
                rng.choice(WEST_GIVEN_DIACRITIC) if rng.random() < 0.05 else rng.choice(WEST_GIVEN)
            )
            given = [first]
            if rng.random() < 0.25:
                middle = rng.choice(WEST_GIVEN)
                if middle != first:
                    given.append(middle)
            q = rng.random()
            if q < 0.45:
                surname = rng.choice(WEST_SURNAMES)
            elif q < 0.85:
                surname = rng.choice(WEST_SURNAME_ROOTS) + rng.choice(WEST_SURNAME_SUFFIXES)
            elif q < 0.91:
                surname = rng.choice(DIACRITIC_SURNAMES)
            elif q < 0.95:
                surname = rng.choice(WEST_PARTICLE_SURNAMES)
            elif q < 0.975:
                surname = rng.choice(WEST_APOSTROPHE_SURNAMES)
            else:
                surname = rng.choice(WEST_HYPHEN_SURNAMES)
            return given, surname, "west"
        pools = (
            ("ru", RU_GIVEN, RU_SURNAMES),
            ("ar", AR_GIVEN, AR_SURNAMES),
            ("in", IN_GIVEN, IN_SURNAMES),
            ("jp", JP_GIVEN, JP_SURNAMES),
            ("kr", KR_GIVEN, KR_SURNAMES),
        )
        origin, gpool, spool = pools[rng.randrange(len(pools))]
        given = [rng.choice(gpool)]
        if origin in ("ar", "in") and rng.random() < 0.4:
            middle = rng.choice(AR_GIVEN if origin == "ar" else IN_GIVEN)
            if middle != given[0]:
                given.append(middle)
        surname = rng.choice(spool)
        if origin == "ru" and given[0] in RU_FEMALE:
            surname += "a"  # Ivanova, Petrova
        return given, surname, origin

    def new(self) -> Person:
        rng = self.rng
        if self.people and rng.random() < self.props.homonym:
            twin = self.people[rng.randrange(len(self.people))]
            p = Person(len(self.people), list(twin.given), twin.surname, twin.origin)
            self.homonyms.append((twin.pid, p.pid))
        else:
            for _ in range(50):
                given, surname, origin = self._draw()
                p = Person(len(self.people), given, surname, origin)
                key = name_key(p.name)
                if key not in self.names:
                    break
            self.names.add(name_key(p.name))
        p.forms = variant_forms(p, rng, self.props.typo_share)
        self.people.append(p)
        return p
