"""The list of people, each person's page, and their JSON twins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.data.database import Database
from tests.web.pages import Node, check_page, get_json, get_page, import_records

THORSTROM = "ksenia-thorstrom"
KUNIN = "kunin-vasily-evgenievich"
RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"
HOSTILE = "<script>alert(1)</script>"


def section(page: Node, heading_id: str) -> Node:
    """Return the section labelled by the heading with ``heading_id``."""
    (found,) = page.find_all("section", **{"aria-labelledby": heading_id})
    return found


def rows(page: Node) -> list[Node]:
    """Return the body rows of the first table of a page or section."""
    return page.find_all("table")[0].find_all("tbody")[0].find_all("tr")


def list_keys(page: Node) -> list[str]:
    """Return the keys of the people a list page shows, in order."""
    return [row.links()[0][0].rsplit("/", 1)[1] for row in rows(page)]


def test_person_page_shows_every_name(demo: Any, client: Any) -> None:
    page = get_page(client, f"/people/{THORSTROM}")
    assert page.find_all("h1")[0].text() == "Ksenia Thorstrom"
    assert page.with_class("p", "description")[0].text() == "Municipal deputy of St Petersburg."
    names = section(page, "names-heading")
    (russian,) = names.find_all("span", lang="ru")
    assert russian.text() == "Ксения Торстрем"
    assert [item.text() for item in names.find_all("li")] == [
        "Ксения Торстрем (ru)",
        "Xenia Torstrem (variant spelling)",
    ]


def test_person_page_lists_statement_with_role_district_and_stance(demo: Any, client: Any) -> None:
    page = get_page(client, f"/people/{THORSTROM}")
    (row,) = rows(section(page, "statements-heading"))
    cells = [cell.text() for cell in row.find_all("td")]
    assert cells == ["September 2022", "municipal deputy", "Saint Petersburg", "signed"]
    assert row.links() == [
        (f"/statements/{RESIGNATION}", "Municipal deputies demand Vladimir Putin's resignation"),
        ("/districts/ru/spb", "Saint Petersburg"),
    ]
    assert row.find_all("time")[0].attrs["datetime"] == "2022-09"
    assert "withdrawn" not in row.text()


def test_withdrawn_signature_is_marked(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    retraction = {"key": "retraction", "kind": "news", "publisher": "Fontanka"}
    signature = {
        "person": THORSTROM,
        "role": "municipal deputy",
        "district": "ru/spb",
        "stance": "withdrawn",
        "withdrawn": "2022-10-03",
        "withdrawal_source": "retraction",
    }
    import_records(
        db,
        tmp_path,
        sources=[retraction],
        statements=[{"key": RESIGNATION, "signatures": [signature]}],
    )
    (row,) = rows(section(get_page(client, f"/people/{THORSTROM}"), "statements-heading"))
    assert row.attrs["class"] == "withdrawn"
    assert row.find_all("td")[-1].text() == "withdrawn 3 October 2022 (source)"
    assert row.with_class("strong", "withdrawn-mark")[0].text() == "withdrawn 3 October 2022"
    assert ("/sources/retraction", "source") in row.links()


def timeline_events(db: Database, folder: Path) -> None:
    """Import events: two naming Thorstrom, one about her statement, two about neither."""
    source = "mirror-2022-09-putin-quit"
    events = [
        {"key": "detained", "date": "2023-03-01", "kind": "detained", "people": [THORSTROM],
         "description": "Detained at a rally.", "sources": [source]},
        {"key": "summoned", "date": "2022-10", "kind": "summoned", "people": [THORSTROM, KUNIN],
         "description": "Summoned to the prosecutor's office."},
        {"key": "charged", "date": "2022-12-15", "kind": "charged", "statement": RESIGNATION,
         "description": "The signatories were charged."},
        {"key": "fined", "date": "2022-11", "kind": "fined", "people": [KUNIN]},
        {"key": "other", "date": "2022-11", "kind": "other", "statement": SMOLNINSKOYE},
    ]  # fmt: skip
    import_records(db, folder, events=events)


def test_timeline_shows_events_concerning_the_person_oldest_first(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    timeline_events(db, tmp_path)
    timeline = section(get_page(client, f"/people/{THORSTROM}"), "timeline-heading")
    items = timeline.find_all("ol")[0].find_all("li")
    firsts = [item.find_all("p")[0].text() for item in items]
    assert firsts == [
        "October 2022 · summoned",
        "15 December 2022 · charged · after Municipal deputies demand Vladimir Putin's resignation",
        "1 March 2023 · detained",
    ]
    assert [item.find_all("time")[0].attrs["datetime"] for item in items] == [
        "2022-10",
        "2022-12-15",
        "2023-03-01",
    ]
    assert "Detained at a rally." in items[2].text()
    assert items[2].links() == [
        (
            "/sources/mirror-2022-09-putin-quit",
            "Russian politicians turn on Vladimir Putin and tell him to quit for 'harming future'",
        )
    ]
    assert items[1].links() == [
        (f"/statements/{RESIGNATION}", "Municipal deputies demand Vladimir Putin's resignation")
    ]
    kunin = section(get_page(client, f"/people/{KUNIN}"), "timeline-heading")
    assert [item.find_all("p")[0].text() for item in kunin.find_all("li")] == [
        "October 2022 · summoned",
        "November 2022 · fined",
    ]


def test_person_without_events_says_so(demo: Any, client: Any) -> None:
    timeline = section(get_page(client, f"/people/{THORSTROM}"), "timeline-heading")
    assert timeline.find_all("p")[0].text() == "No events concerning Ksenia Thorstrom are recorded."


def test_person_json_twin(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    timeline_events(db, tmp_path)
    data = get_json(client, f"/people/{THORSTROM}.json")
    assert (data["key"], data["name"], data["url"]) == (
        THORSTROM,
        "Ksenia Thorstrom",
        f"/people/{THORSTROM}",
    )
    assert data["names"] == {"ru": "Ксения Торстрем"}
    assert data["aliases"] == ["Xenia Torstrem"]
    assert data["statements"] == [
        {
            "key": RESIGNATION,
            "url": f"/statements/{RESIGNATION}",
            "title": "Municipal deputies demand Vladimir Putin's resignation",
            "date": "2022-09",
            "kind": "statement",
            "role": "municipal deputy",
            "district": "ru/spb",
            "stance": "signed",
            "withdrawn": None,
        }
    ]
    assert [event["key"] for event in data["events"]] == ["summoned", "charged", "detained"]
    assert data["events"][2]["sources"] == ["mirror-2022-09-putin-quit"]


def test_person_page_links_its_json_twin(demo: Any, client: Any) -> None:
    page = get_page(client, f"/people/{THORSTROM}")
    assert page.find_all("link", rel="alternate")[0].attrs["href"] == f"/people/{THORSTROM}.json"
    assert (f"/people/{THORSTROM}.json", "JSON") in page.with_class("p", "twins")[0].links()


@pytest.mark.parametrize("key", ["nobody", "ksenia-thorstrom-2", "KSENIA-THORSTROM"])
def test_unknown_person_is_not_found_in_both_forms(demo: Any, client: Any, key: str) -> None:
    response = client.get(f"/people/{key}")
    assert response.status_code == 404
    check_page(response.get_data(as_text=True))
    assert get_json(client, f"/people/{key}.json", status=404)["error"] == "not found"


def sixty_people(db: Database, folder: Path) -> None:
    """Import 60 people named in the reverse order of their keys."""
    people = [{"key": f"person-{n:02}", "name": f"Signatory {60 - n:02}"} for n in range(60)]
    import_records(db, folder, people=people)


def test_list_paginates_and_sorts(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    sixty_people(db, tmp_path)
    first, second = get_page(client, "/people"), get_page(client, "/people?page=2")
    by_name = [THORSTROM, KUNIN, *[f"person-{n:02}" for n in reversed(range(60))]]
    assert list_keys(first) == by_name[:50]
    assert list_keys(second) == by_name[50:]
    assert "Page 1 of 2" in first.text() and "Page 2 of 2" in second.text()
    assert first.find_all("a", rel="next")[0].attrs["href"] == "/people?sort=name&page=2"
    assert not second.find_all("a", rel="next")
    by_key = get_json(client, "/people.json?sort=key&page=2")
    assert [item["key"] for item in by_key["items"]] == [f"person-{n:02}" for n in range(48, 60)]
    assert (by_key["page"], by_key["pages"], by_key["total"], by_key["sort"]) == (2, 2, 62, "key")
    by_count = get_page(client, "/people?sort=statements")
    assert list_keys(by_count)[:3] == [THORSTROM, KUNIN, "person-59"]
    assert rows(by_count)[0].find_all("td")[0].text() == "1"
    current = by_count.find_all("strong", **{"aria-current": "true"})[0]
    assert current.text() == "number of statements"


def test_json_list_counts_statements(demo: Any, client: Any) -> None:
    data = get_json(client, "/people.json")
    assert (data["page"], data["pages"], data["total"], data["sort"]) == (1, 1, 2, "name")
    assert data["items"][0] == {
        "key": THORSTROM,
        "url": f"/people/{THORSTROM}",
        "name": "Ksenia Thorstrom",
        "statements": 1,
    }


@pytest.mark.parametrize(
    "query", ["page=abc", "page=-1", "page=0", "page=" + "9" * 50, "sort=xyz", "sort=", "page="]
)
def test_bad_page_or_sort_answers_the_first_page(demo: Any, client: Any, query: str) -> None:
    assert list_keys(get_page(client, f"/people?{query}")) == [THORSTROM, KUNIN]
    data = get_json(client, f"/people.json?{query}")
    assert (data["page"], data["sort"], len(data["items"])) == (1, "name", 2)


def test_page_past_the_end_is_empty_but_fine(demo: Any, client: Any) -> None:
    page = get_page(client, "/people?page=5")
    assert not page.find_all("table")
    assert "There are no people on this page." in page.text()
    assert page.find_all("a", rel="prev")[0].attrs["href"] == "/people?sort=name&page=4"


def test_empty_archive_lists_no_people(client: Any) -> None:
    page = get_page(client, "/people")
    assert "The archive names no people yet." in page.text()
    assert get_json(client, "/people.json")["items"] == []


def test_record_text_is_escaped(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    hostile = f"{HOSTILE} & <b>bold</b>"
    statement = {
        "key": "hostile",
        "title": hostile,
        "kind": "other",
        "signatures": [{"person": "hostile-person", "role": hostile, "district": "ru"}],
    }
    person = {"key": "hostile-person", "name": hostile, "description": hostile,
              "names": {"ru": hostile}, "aliases": [hostile]}  # fmt: skip
    event = {"key": "hostile-event", "kind": "other", "people": ["hostile-person"],
             "description": hostile}  # fmt: skip
    import_records(db, tmp_path, people=[person], statements=[statement], events=[event])
    for url in ("/people/hostile-person", "/people", "/people?sort=statements"):
        text = client.get(url).get_data(as_text=True)
        assert "<script>" not in text and "<b>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text, url
        check_page(text)
    assert get_json(client, "/people/hostile-person.json")["name"] == hostile
