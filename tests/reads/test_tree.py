"""The district tree in memory: one lineage for the index's documents and the search facet."""

from __future__ import annotations

from archive.reads.tree import DistrictNode, DistrictTree


def _tree() -> DistrictTree:
    nodes = [
        DistrictNode(1, "ru", "Russia", "country", None),
        DistrictNode(2, "ru/spb", "Saint Petersburg", "federal_city", 1),
        DistrictNode(3, "ru/spb/kolpino", "Kolpino", "town", 2),
        DistrictNode(4, "ru/spb/smolninskoye", "Smolninskoye", "municipal_okrug", 2),
        DistrictNode(5, "loop-a", "Loop A", "other", 6),  # a cycle written by other means
        DistrictNode(6, "loop-b", "Loop B", "other", 5),
    ]
    return DistrictTree(nodes)


def test_lineage_is_the_key_then_its_ancestors_nearest_first() -> None:
    tree = _tree()
    assert tree.lineage("ru/spb/kolpino") == ["ru/spb/kolpino", "ru/spb", "ru"]
    assert tree.lineage("ru") == ["ru"]
    assert tree.lineage("not/stored") == ["not/stored"]


def test_parent_key_is_the_next_in_the_lineage() -> None:
    tree = _tree()
    assert tree.parent_key("ru/spb/smolninskoye") == "ru/spb"
    assert tree.parent_key("ru") is None
    assert tree.parent_key("not/stored") is None


def test_a_cycle_ends_instead_of_looping() -> None:
    tree = _tree()
    assert tree.lineage("loop-a") == ["loop-a", "loop-b"]
    assert [node.key for node, _depth in tree.walk([tree.by_key["loop-a"]], "key")] == [
        "loop-a",
        "loop-b",
    ]


def test_subtree_and_walk_go_depth_first_in_name_order() -> None:
    tree = _tree()
    assert sorted(tree.subtree_ids(tree.by_key["ru/spb"])) == [2, 3, 4]
    walked = [(node.key, depth) for node, depth in tree.walk([tree.by_key["ru"]])]
    assert walked == [("ru", 0), ("ru/spb", 1), ("ru/spb/kolpino", 2), ("ru/spb/smolninskoye", 2)]
