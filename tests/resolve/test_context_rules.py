"""Evidence from the wider context of a short name form (issue 3, author-merge recall).

Each rule has a case that must merge and a hard distractor that must stay apart.
The helpers are those of ``test_rules``.
"""

from __future__ import annotations

from kg.identity.resolve import resolve
from tests.resolve.test_rules import L, S, key_on

# --- the profile that lists the paper -----------------------------------------------------------


def test_initials_written_in_full_elsewhere_on_the_profile_merge() -> None:
    """A profile (owner unknown) writes "John Smith" on one paper and "J. Smith" on another,
    with strangers: the profile's own papers say which Smith it is, not Jane (elsewhere)."""
    res = resolve(
        [
            S(
                "p.txt",
                L("p.txt", "Paper One", "John Smith", "Ada Quill"),
                L("p.txt", "Paper Two", "J. Smith", "Cy Dunmore"),
            ),
            S("q.txt", L("q.txt", "Paper Three", "Jane Smith", "Eve Gallo")),
        ]
    )
    assert key_on(res, "J. Smith", "Paper Two") == "john smith"
    decision = next(d for d in res.decisions if d.kind == "merge" and d.method == "initials")
    assert any("other paper(s) of the profile p.txt" in e for e in decision.evidence)


def test_initials_with_two_fitting_names_on_the_profile_stay_apart() -> None:
    """The profile writes both John and Jane Smith in full: "J. Smith" stays itself."""
    res = resolve(
        [
            S(
                "p.txt",
                L("p.txt", "Paper One", "John Smith", "Ada Quill"),
                L("p.txt", "Paper Two", "J. Smith", "Cy Dunmore"),
                L("p.txt", "Paper Four", "Jane Smith", "Fay Hollis"),
            ),
            S("q.txt", L("q.txt", "Paper Three", "Jane Smith", "Eve Gallo")),
        ]
    )
    assert key_on(res, "J. Smith", "Paper Two") == "j smith"
    assert {d.keys for d in res.decisions if d.kind == "possibly-same"} >= {
        ("j smith", "john smith"),
        ("j smith", "jane smith"),
    }


def test_shorter_form_written_itself_on_the_profile_stays_itself() -> None:
    """ "Meera Desai" is written so on two papers of one profile and "Meera Karthik Desai" on
    a paper of the same profile: the short form has as much evidence as the fuller one, and
    stays itself (it may be another person)."""
    res = resolve(
        [
            S(
                "p.txt",
                L("p.txt", "Paper One", "Meera Karthik Desai", "Ada Quill"),
                L("p.txt", "Paper Two", "Meera Desai", "Cy Dunmore"),
                L("p.txt", "Paper Three", "Meera Desai", "Eve Gallo"),
            ),
        ]
    )
    assert key_on(res, "Meera Desai", "Paper Two") == "meera desai"


# --- two hops: a co-author of a co-author ------------------------------------------------------


def _two_hop_world(*, jane_linked: bool) -> list:
    """J. Smith writes with Cy Dunmore and Dee Farrow, who both wrote with Bo Rennet, who
    wrote with John Smith; Jane Smith works elsewhere (or, with ``jane_linked``, also with
    Bo Rennet)."""
    jane_partner = "Bo Rennet" if jane_linked else "Hal Ingram"
    return [
        S("a.txt", L("a.txt", "Paper One", "John Smith", "Bo Rennet")),
        S(
            "b.txt",
            L("b.txt", "Paper Two", "Cy Dunmore", "Bo Rennet"),
            L("b.txt", "Paper Three", "Dee Farrow", "Bo Rennet", "Gil Ames"),
        ),
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
    world[1] = S(
        "b.txt",
        L("b.txt", "Paper Two", "Cy Dunmore", "Bo Rennet"),
        L("b.txt", "Paper Three", "Dee Farrow", "Gil Ames"),
    )
    res = resolve(world)
    assert key_on(res, "J. Smith", "Paper Five") == "j smith"


# --- full names: blocking ------------------------------------------------------------------------


def test_transliterations_and_early_typos_share_a_blocking_key() -> None:
    """Iurii / Yuri and Qniyuan / Qinyuan differ in their first two letters, which every
    other key uses; the transliteration group and the first-and-last-letter key keep them."""
    from kg.identity.resolve import blocking_keys

    assert {k for k in blocking_keys("iurii solovyov") & blocking_keys("yuri solovyov")} == {
        "t:solovyov|"
        + next(k for k in blocking_keys("yuri solovyov") if k.startswith("t:")).split("|")[1]
    }
    assert "e:zheng|qn" in blocking_keys("qniyuan zheng") & blocking_keys("qinyuan zheng")
    assert not blocking_keys("ivan solovyov") & blocking_keys("yuri solovyov")


def test_transliteration_differing_early_merges_with_shared_co_authors() -> None:
    res = resolve(
        [
            S("a.txt", L("a.txt", "Paper One", "Yuri Solovyov", "Ada Quill", "Bo Rennet")),
            S("b.txt", L("b.txt", "Paper Two", "Iurii Solovyov", "Ada Quill", "Bo Rennet")),
        ]
    )
    assert key_on(res, "Iurii Solovyov", "Paper Two") == key_on(res, "Yuri Solovyov", "Paper One")


def test_transliteration_without_evidence_stays_apart() -> None:
    res = resolve(
        [
            S("a.txt", L("a.txt", "Paper One", "Yuri Solovyov", "Ada Quill", "Bo Rennet")),
            S("b.txt", L("b.txt", "Paper Two", "Iurii Solovyov", "Cy Dunmore", "Dee Farrow")),
        ]
    )
    assert key_on(res, "Iurii Solovyov", "Paper Two") == "iurii solovyov"
    assert not any(d.kind == "merge" for d in res.decisions)


# --- full names: the profile they share, co-authors two hops out ---------------------------------


def test_order_swap_on_one_profile_merges() -> None:
    """A profile (owner unknown) writes "Kai Gong" on one paper and "Gong Kai" on another,
    with strangers: the shared profile and the absence of any third name of these words."""
    res = resolve(
        [
            S(
                "p.txt",
                L("p.txt", "Paper One", "Kai Gong", "Bo Rennet"),
                L("p.txt", "Paper Two", "Gong Kai", "Cy Dunmore"),
            ),
        ]
    )
    assert key_on(res, "Gong Kai", "Paper Two") == key_on(res, "Kai Gong", "Paper One")
    merge = next(d for d in res.decisions if d.kind == "merge")
    assert merge.method == "order-swap"
    assert any("papers of the profile p.txt" in e for e in merge.evidence)


def test_established_order_swaps_on_one_profile_stay_apart() -> None:
    """Meng Yuan and Yuan Meng, five papers each on one profile with other co-authors: two
    people (both names exist), whatever the profile."""
    papers = [L("p.txt", f"Meng Paper {i}", "Meng Yuan", f"Ann Co{i}") for i in range(5)]
    papers += [L("p.txt", f"Yuan Paper {i}", "Yuan Meng", f"Bob Co{i}") for i in range(5)]
    res = resolve([S("p.txt", *papers)])
    assert key_on(res, "Meng Yuan", "Meng Paper 0") != key_on(res, "Yuan Meng", "Yuan Paper 0")


def _swap_world(*, linked: bool) -> list:
    """Kai Gong writes with Chao Zhan; Gong Kai once with Moritz Dahl and Feize Guo, on
    another lab's profile; with ``linked``, Moritz Dahl has published with Chao Zhan."""
    world = [
        S(
            "a.txt",
            L("a.txt", "Paper One", "Kai Gong", "Chao Zhan"),
            L("a.txt", "Paper Two", "Kai Gong", "Chao Zhan", "Tian Rui"),
        ),
        S("b.txt", L("b.txt", "Paper Three", "Moritz Dahl", "Gong Kai", "Feize Guo")),
    ]
    if linked:
        world.append(S("c.txt", L("c.txt", "Paper Four", "Moritz Dahl", "Chao Zhan")))
    return world


def test_order_swap_reached_in_two_hops_merges() -> None:
    res = resolve(_swap_world(linked=True))
    assert key_on(res, "Gong Kai", "Paper Three") == key_on(res, "Kai Gong", "Paper One")
    merge = next(d for d in res.decisions if d.kind == "merge")
    assert any("has published with a co-author of the other" in e for e in merge.evidence)


def test_order_swap_with_unconnected_co_authors_stays_apart() -> None:
    res = resolve(_swap_world(linked=False))
    assert key_on(res, "Gong Kai", "Paper Three") != key_on(res, "Kai Gong", "Paper One")
    assert any(d.kind == "possibly-same" and d.method == "order-swap" for d in res.decisions)


# --- order swaps with one reading ------------------------------------------------------------------


def _reading_world(swap: str, full: str) -> list:
    """``full`` and its swap ``swap`` on unrelated profiles, among other people with the
    family names Ke, Wei and Zhang."""
    others = [
        "Wei Ke",
        "Jun Ke",
        "Tao Ke",
        "Li Wei",
        "Jun Wei",
        "Tao Wei",
        "Jun Zhang",
        "Tao Zhang",
        "Li Zhang",
    ]
    return [
        S("a.txt", L("a.txt", "Paper One", full, "Ada Quill")),
        S("b.txt", L("b.txt", "Paper Two", swap, "Cy Dunmore")),
        S("c.txt", *[L("c.txt", f"Other {i}", name, "Eve Gallo") for i, name in enumerate(others)]),
    ]


def test_order_swap_with_one_reading_merges() -> None:
    """ "Ke" is the family name of three other people, "Linyou" of no one: "Ke Linyou" can
    only be "Linyou Ke" written family name first."""
    res = resolve(_reading_world("Ke Linyou", "Linyou Ke"))
    assert key_on(res, "Ke Linyou", "Paper Two") == key_on(res, "Linyou Ke", "Paper One")
    merge = next(d for d in res.decisions if d.kind == "merge")
    assert any("only one reading is a name" in e for e in merge.evidence)


def test_order_swap_of_two_family_names_stays_apart() -> None:
    """Wei and Zhang are both family names: "Zhang Wei" may be another name than "Wei Zhang"."""
    res = resolve(_reading_world("Zhang Wei", "Wei Zhang"))
    assert key_on(res, "Zhang Wei", "Paper Two") == "zhang wei"
