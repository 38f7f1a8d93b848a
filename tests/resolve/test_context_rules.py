"""Evidence from the wider context of a short name form (issue 3, author-merge recall).

Each rule has a case that must merge and a hard distractor that must stay apart.
The helpers are those of ``test_rules``.
"""

from __future__ import annotations

from kg.resolve import resolve
from tests.resolve.test_rules import L, S, key_on

# --- the profile that lists the paper -----------------------------------------------------------


def test_initials_written_in_full_elsewhere_on_the_profile_merge() -> None:
    """A profile (owner unknown) writes "John Smith" on one paper and "J. Smith" on another,
    with strangers: the profile's own papers say which Smith it is, not Jane (elsewhere)."""
    res = resolve([
        S("p.txt", L("p.txt", "Paper One", "John Smith", "Ada Quill"),
          L("p.txt", "Paper Two", "J. Smith", "Cy Dunmore")),
        S("q.txt", L("q.txt", "Paper Three", "Jane Smith", "Eve Gallo")),
    ])
    assert key_on(res, "J. Smith", "Paper Two") == "john smith"
    decision = next(d for d in res.decisions if d.kind == "merge" and d.method == "initials")
    assert any("other paper(s) of the profile p.txt" in e for e in decision.evidence)


def test_initials_with_two_fitting_names_on_the_profile_stay_apart() -> None:
    """The profile writes both John and Jane Smith in full: "J. Smith" stays itself."""
    res = resolve([
        S("p.txt", L("p.txt", "Paper One", "John Smith", "Ada Quill"),
          L("p.txt", "Paper Two", "J. Smith", "Cy Dunmore"),
          L("p.txt", "Paper Four", "Jane Smith", "Fay Hollis")),
        S("q.txt", L("q.txt", "Paper Three", "Jane Smith", "Eve Gallo")),
    ])
    assert key_on(res, "J. Smith", "Paper Two") == "j smith"
    assert {d.keys for d in res.decisions if d.kind == "possibly-same"} >= {
        ("j smith", "john smith"), ("j smith", "jane smith")}


def test_shorter_form_written_itself_on_the_profile_stays_itself() -> None:
    """"Meera Desai" is written so on two papers of one profile and "Meera Karthik Desai" on
    a paper of the same profile: the short form has as much evidence as the fuller one, and
    stays itself (it may be another person)."""
    res = resolve([
        S("p.txt", L("p.txt", "Paper One", "Meera Karthik Desai", "Ada Quill"),
          L("p.txt", "Paper Two", "Meera Desai", "Cy Dunmore"),
          L("p.txt", "Paper Three", "Meera Desai", "Eve Gallo")),
    ])
    assert key_on(res, "Meera Desai", "Paper Two") == "meera desai"


# --- two hops: a co-author of a co-author ------------------------------------------------------


def _two_hop_world(*, jane_linked: bool) -> list:
    """J. Smith writes with Cy Dunmore and Dee Farrow, who both wrote with Bo Rennet, who
    wrote with John Smith; Jane Smith works elsewhere (or, with ``jane_linked``, also with
    Bo Rennet)."""
    jane_partner = "Bo Rennet" if jane_linked else "Hal Ingram"
    return [
        S("a.txt", L("a.txt", "Paper One", "John Smith", "Bo Rennet")),
        S("b.txt", L("b.txt", "Paper Two", "Cy Dunmore", "Bo Rennet"),
          L("b.txt", "Paper Three", "Dee Farrow", "Bo Rennet", "Gil Ames")),
        S("c.txt", L("c.txt", "Paper Four", "Jane Smith", jane_partner, "Eve Gallo")),
        S("d.txt", L("d.txt", "Paper Five", "J. Smith", "Cy Dunmore", "Dee Farrow")),
    ]


def test_initials_reached_in_two_hops_merge() -> None:
    res = resolve(_two_hop_world(jane_linked=False))
    assert key_on(res, "J. Smith", "Paper Five") == "john smith"
    decision = next(d for d in res.decisions if d.kind == "merge" and d.method == "initials")
    assert any("co-author in common" in e and "via bo rennet" in e for e in decision.evidence)


def test_initials_two_hops_from_two_people_stay_apart() -> None:
    """Jane Smith has also written with Bo Rennet: both fit as well, so neither is chosen."""
    res = resolve(_two_hop_world(jane_linked=True))
    assert key_on(res, "J. Smith", "Paper Five") == "j smith"


def test_one_two_hop_co_author_is_not_enough_between_two_names() -> None:
    """Only Cy Dunmore links to John Smith's circle: 0.3, below what a merge needs."""
    world = _two_hop_world(jane_linked=False)
    world[1] = S("b.txt", L("b.txt", "Paper Two", "Cy Dunmore", "Bo Rennet"),
                 L("b.txt", "Paper Three", "Dee Farrow", "Gil Ames"))
    res = resolve(world)
    assert key_on(res, "J. Smith", "Paper Five") == "j smith"
