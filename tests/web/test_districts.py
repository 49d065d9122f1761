"""The district tree, each district's page, and their JSON twins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.data.database import Database
from archive.reads.tree import DistrictNode, DistrictTree
from archive.web import districts, listing
from tests.web.pages import Node, check_page, get_json, get_page, import_records

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"
HOSTILE = "<script>alert(1)</script>"


def section(page: Node, heading_id: str) -> Node:
    """Return the section labelled by the heading with ``heading_id``."""
    (found,) = page.find_all("section", **{"aria-labelledby": heading_id})
    return found


def statement_keys(page: Node) -> list[str]:
    """Return the keys of the statements a district's page lists, in order."""
    listed = section(page, "statements-heading").find_all("li")
    return [item.links()[0][0].rsplit("/", 1)[1] for item in listed]


def elements(node: Node) -> list[Node]:
    """Return the child elements of a node."""
    return [child for child in node.children if isinstance(child, Node)]


def tree_levels(ul: Node) -> list[tuple[str, str, list[Any]]]:
    """Return a level of the district tree as (name, counts, the level below)."""
    level = []
    for li in elements(ul):
        link, counts, *below = elements(li)
        level.append((link.text(), counts.text(), tree_levels(below[0]) if below else []))
    return level


def test_breadcrumb_names_the_ancestors(demo: Any, client: Any) -> None:
    page = get_page(client, "/districts/ru/spb/kolpino")
    (crumbs,) = page.find_all("nav", **{"aria-label": "Breadcrumb"})
    items = crumbs.find_all("ol")[0].find_all("li")
    assert [item.text() for item in items] == ["Russia", "Saint Petersburg", "Kolpino"]
    assert crumbs.links()[:2] == [
        ("/districts/ru", "Russia"),
        ("/districts/ru/spb", "Saint Petersburg"),
    ]
    assert items[-1].find_all("a")[0].attrs["aria-current"] == "page"
    spb = get_page(client, "/districts/ru/spb").find_all("nav", **{"aria-label": "Breadcrumb"})[0]
    assert [item.text() for item in spb.find_all("li")] == ["Russia", "Saint Petersburg"]


def test_district_page_shows_names_and_children_with_counts(demo: Any, client: Any) -> None:
    page = get_page(client, "/districts/ru/spb")
    assert page.find_all("h1")[0].text() == "Saint Petersburg"
    names = section(page, "names-heading")
    assert names.find_all("span", lang="ru")[0].text() == "Санкт-Петербург"
    assert "St Petersburg (variant spelling)" in names.text()
    children = section(page, "children-heading").find_all("tbody")[0].find_all("tr")
    assert [(row.links(), [td.text() for td in row.find_all("td")]) for row in children] == [
        ([("/districts/ru/spb/kolpino", "Kolpino")], ["1", "0"]),
        ([("/districts/ru/spb/smolninskoye", "Smolninskoye")], ["1", "0"]),
    ]


def test_district_lists_statements_from_it_and_below(demo: Any, client: Any) -> None:
    spb = get_page(client, "/districts/ru/spb")
    assert statement_keys(spb) == [KUNIN, RESIGNATION, SMOLNINSKOYE]
    assert "3 statements from Saint Petersburg and the districts below it" in spb.text()
    assert statement_keys(get_page(client, "/districts/ru/spb/kolpino")) == [RESIGNATION]
    assert statement_keys(get_page(client, "/districts/ru/spb/smolninskoye")) == [SMOLNINSKOYE]
    assert statement_keys(get_page(client, "/districts/ru/moscow")) == [RESIGNATION]
    signatories = section(spb, "signatories-heading").find_all("li")
    assert [item.text() for item in signatories] == [
        "Ksenia Thorstrom municipal deputy, Saint Petersburg",
        "Kunin Vasily Evgenievich councillor, Saint Petersburg",
    ]
    kolpino = section(get_page(client, "/districts/ru/spb/kolpino"), "signatories-heading")
    assert kolpino.find_all("p")[0].text() == "No named signatory holds office in Kolpino."


def test_a_signature_held_below_brings_its_statement(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    statement = {
        "key": "kolpino-letter",
        "title": "A letter from Kolpino",
        "kind": "open_letter",
        "date": "2022-10",
        "signatures": [{"person": {"name": "Ivan Petrov"}, "role": "deputy",
                        "district": "ru/spb/kolpino"}],
    }  # fmt: skip
    import_records(db, tmp_path, statements=[statement])
    assert statement_keys(get_page(client, "/districts/ru/spb/kolpino")) == [
        "kolpino-letter",
        RESIGNATION,
    ]
    spb = get_page(client, "/districts/ru/spb")
    assert statement_keys(spb)[0] == "kolpino-letter"
    kolpino = section(spb, "children-heading").find_all("tbody")[0].find_all("tr")[0]
    assert [td.text() for td in kolpino.find_all("td")] == ["2", "1"]
    assert "Ivan Petrov deputy, Kolpino" in section(spb, "signatories-heading").text()
    assert statement_keys(get_page(client, "/districts/ru/moscow")) == [RESIGNATION]


def test_district_json_twin(demo: Any, client: Any) -> None:
    data = get_json(client, "/districts/ru/spb.json")
    assert (data["key"], data["name"], data["kind"], data["parent"], data["url"]) == (
        "ru/spb",
        "Saint Petersburg",
        "federal_city",
        "ru",
        "/districts/ru/spb",
    )
    assert data["names"] == {"ru": "Санкт-Петербург"}
    assert data["ancestors"] == [{"key": "ru", "name": "Russia", "url": "/districts/ru"}]
    assert [(c["key"], c["statements"], c["signatories"]) for c in data["children"]] == [
        ("ru/spb/kolpino", 1, 0),
        ("ru/spb/smolninskoye", 1, 0),
    ]
    statements = data["statements"]
    assert (statements["total"], statements["page"], statements["pages"]) == (3, 1, 1)
    assert [item["key"] for item in statements["items"]] == [KUNIN, RESIGNATION, SMOLNINSKOYE]
    assert statements["items"][1]["url"] == f"/statements/{RESIGNATION}"
    assert data["signatories"]["items"][0] == {
        "key": "ksenia-thorstrom",
        "url": "/people/ksenia-thorstrom",
        "name": "Ksenia Thorstrom",
        "offices": [{"role": "municipal deputy", "district": "ru/spb"}],
    }
    kolpino = get_json(client, "/districts/ru/spb/kolpino.json")
    assert [item["key"] for item in kolpino["statements"]["items"]] == [RESIGNATION]


def test_district_page_links_its_json_twin(demo: Any, client: Any) -> None:
    page = get_page(client, "/districts/ru/spb")
    assert page.find_all("link", rel="alternate")[0].attrs["href"] == "/districts/ru/spb.json"
    assert ("/districts/ru/spb.json", "JSON") in page.with_class("p", "twins")[0].links()


# (A trailing slash redirects to the page: tests/web/test_formats.py.)
@pytest.mark.parametrize("key", ["ru/nowhere", "nowhere", "ru/spb/kolpino/x", "ru/spb/nowhere"])
def test_unknown_district_is_not_found_in_both_forms(demo: Any, client: Any, key: str) -> None:
    response = client.get(f"/districts/{key}")
    assert response.status_code == 404
    check_page(response.get_data(as_text=True))
    assert get_json(client, f"/districts/{key}.json", status=404)["error"] == "not found"


def test_district_lists_page_each_by_its_own_argument(
    demo: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    first = get_page(client, "/districts/ru/spb")
    assert statement_keys(first) == [KUNIN, RESIGNATION]
    (statements_next,) = section(first, "statements-heading").find_all("a", rel="next")
    assert statements_next.attrs["href"] == "/districts/ru/spb?sort=date&page=2"
    second = get_page(client, "/districts/ru/spb?sort=date&page=2")
    assert statement_keys(second) == [SMOLNINSKOYE]
    assert section(second, "statements-heading").find_all("ol")[0].attrs["start"] == "3"
    monkeypatch.setattr(listing, "PER_PAGE", 1)
    page = get_page(client, "/districts/ru/spb?signatories_page=2")
    people = section(page, "signatories-heading")
    assert [link for link, _ in people.links()] == [
        "/people/kunin-vasily-evgenievich",
        "/districts/ru/spb?sort=name&signatories_page=1",
    ]
    assert statement_keys(page) == [KUNIN]


def test_tree_of_districts_with_counts(demo: Any, client: Any) -> None:
    page = get_page(client, "/districts")
    assert tree_levels(page.with_class("ul", "district-tree")[0]) == [
        ("Russia", "country · 3 statements · 2 signatories", [
            ("Moscow", "federal city · 1 statement · 0 signatories", []),
            ("Saint Petersburg", "federal city · 3 statements · 2 signatories", [
                ("Kolpino", "town · 1 statement · 0 signatories", []),
                ("Smolninskoye", "municipal okrug · 1 statement · 0 signatories", []),
            ]),
        ]),
    ]  # fmt: skip
    assert not page.with_class("nav", "pagination")


def test_tree_sorts_by_name_or_key(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    district = {"key": "ru/spb/aaa", "name": "Zelenogorsk", "kind": "town", "parent": "ru/spb"}
    import_records(db, tmp_path, districts=[district])
    by_name = get_json(client, "/districts.json")
    assert [item["key"] for item in by_name["items"]] == [
        "ru", "ru/moscow", "ru/spb", "ru/spb/kolpino", "ru/spb/smolninskoye", "ru/spb/aaa",
    ]  # fmt: skip
    by_key = get_json(client, "/districts.json?sort=key")
    assert [item["key"] for item in by_key["items"]] == [
        "ru", "ru/moscow", "ru/spb", "ru/spb/aaa", "ru/spb/kolpino", "ru/spb/smolninskoye",
    ]  # fmt: skip
    assert by_key["items"][3] == {
        "key": "ru/spb/aaa",
        "url": "/districts/ru/spb/aaa",
        "name": "Zelenogorsk",
        "kind": "town",
        "parent": "ru/spb",
        "depth": 2,
        "statements": 0,
        "signatories": 0,
    }
    page = get_page(client, "/districts?sort=key")
    assert page.find_all("strong", **{"aria-current": "true"})[0].text() == "key"
    spb = page.with_class("ul", "district-tree")[0].find_all("ul")[1]
    assert [link for _, link in spb.links()] == ["Zelenogorsk", "Kolpino", "Smolninskoye"]


def test_large_tree_is_cut_into_pages_keeping_context(
    demo: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(districts, "TREE_PER_PAGE", 2)
    second = get_page(client, "/districts?page=2")
    assert "Page 2 of 3" in second.text()
    (tree,) = second.with_class("ul", "district-tree")
    (top,) = elements(tree)
    assert top.text().startswith("Russia \u203a Saint Petersburg")  # a breadcrumb-like context
    assert [link for _, link in tree.links()] == ["Saint Petersburg", "Kolpino"]
    data = get_json(client, "/districts.json?page=3")
    assert [item["key"] for item in data["items"]] == ["ru/spb/smolninskoye"]
    assert (data["pages"], data["total"]) == (3, 5)


def test_thousands_of_districts(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    many = [
        {"key": f"ru/spb/d{n:04}", "name": f"Okrug {n:04}", "kind": "municipal_okrug",
         "parent": "ru/spb"}
        for n in range(1200)
    ]  # fmt: skip
    import_records(db, tmp_path, districts=many)
    first = get_page(client, "/districts")
    assert "Page 1 of 2" in first.text()
    assert get_json(client, "/districts.json?page=2")["total"] == 1205
    spb = get_page(client, "/districts/ru/spb")
    assert len(section(spb, "children-heading").find_all("tr")) == 1 + 1202
    assert statement_keys(spb) == [KUNIN, RESIGNATION, SMOLNINSKOYE]
    assert statement_keys(get_page(client, "/districts/ru")) == [KUNIN, RESIGNATION, SMOLNINSKOYE]


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=0", "sort=xyz", "sort=", "page="])
def test_bad_page_or_sort_answers_the_whole_tree(demo: Any, client: Any, query: str) -> None:
    page = get_page(client, f"/districts?{query}")
    assert len(page.with_class("ul", "district-tree")[0].find_all("li")) == 5
    data = get_json(client, f"/districts.json?{query}")
    assert (data["page"], data["sort"], data["total"]) == (1, "name", 5)
    assert statement_keys(get_page(client, f"/districts/ru/spb?{query}&signatories_page=x"))


def test_empty_archive_has_no_districts(client: Any) -> None:
    assert "The archive has no districts yet." in get_page(client, "/districts").text()
    assert get_json(client, "/districts.json")["items"] == []


def test_tree_survives_a_cycle() -> None:
    nodes = [DistrictNode(1, "a", "A", "country", 2), DistrictNode(2, "b", "B", "region", 1)]
    tree = DistrictTree([*nodes, DistrictNode(3, "c", "C", "country", None)])
    assert [node.key for node, _ in tree.walk()] == ["c"]
    assert [node.key for node in tree.ancestors(tree.by_key["a"])] == ["b"]
    assert tree.subtree_ids(tree.by_key["a"]) == [1, 2]


def test_record_text_is_escaped(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    hostile = f"{HOSTILE} & <b>bold</b>"
    district = {"key": "ru/hostile", "name": hostile, "kind": "other", "parent": "ru",
                "names": {"ru": hostile}, "aliases": [hostile]}  # fmt: skip
    statement = {"key": "hostile", "title": hostile, "kind": "other", "districts": ["ru/hostile"],
                 "signatures": [{"person": {"name": hostile}, "role": hostile,
                                 "district": "ru/hostile"}]}  # fmt: skip
    import_records(db, tmp_path, districts=[district], statements=[statement])
    for url in ("/districts/ru/hostile", "/districts", "/districts/ru"):
        text = client.get(url).get_data(as_text=True)
        assert "<script>" not in text and "<b>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text, url
        check_page(text)
    assert get_json(client, "/districts/ru/hostile.json")["name"] == hostile
