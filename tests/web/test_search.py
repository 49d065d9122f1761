"""The search page and its JSON twin, on the demo data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.importing import importer
from archive.web import search as search_views
from archive.web.context import get_index
from tests.web.pages import Node, parse, recorded_sql

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"


def get_page(client: Any, url: str) -> str:
    """Return the text of a page that must answer 200."""
    response = client.get(url)
    assert response.status_code == 200, url
    text: str = response.get_data(as_text=True)
    return text


def get_json(client: Any, url: str) -> dict[str, Any]:
    """Return the JSON of an answer that must be 200."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/json"
    data: dict[str, Any] = response.get_json()
    return data


def hit_links(page: str) -> list[str]:
    """Return the links of the result titles, in order."""
    hits = parse(page).find_all("li", **{"class": "hit"})
    return [hit.find_all("a")[0].attrs["href"] or "" for hit in hits]


def result_count(page: str) -> str:
    """Return the sentence that counts the results."""
    (count,) = parse(page).find_all("p", id="result-count")
    return count.text()


def facet_tree(page: str, name: str) -> dict[str, Any]:
    """Return a facet's values as {label: (count, {child label: ...})}."""
    (section,) = parse(page).find_all("section", **{"aria-labelledby": f"facet-{name}"})
    return _facet_level(section.elements()[1])


def _facet_level(ul: Node) -> dict[str, Any]:
    """Return one level of a facet list and the levels below it."""
    level = {}
    for li in ul.elements():
        label, count, *rest = li.elements()
        children = _facet_level(rest[0]) if rest else {}
        level[label.text()] = (int(count.text()), children)
    return level


def import_statements(runner: FlaskCliRunner, tmp_path: Path, statements: list[Any]) -> None:
    """Import statements into the archive through the import command."""
    path = tmp_path / "more.json"
    document = {"format": "dissent-archive/1", "statements": statements}
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def test_name_finds_statement_and_links_person(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=Torstrem")
    assert "Municipal deputies demand Vladimir Putin&#39;s resignation" in page
    assert hit_links(page) == [f"/statements/{RESIGNATION}"]
    people = parse(page).find_all("ul", **{"class": "people"})[0].find_all("a")
    assert [(a.attrs["href"], a.text()) for a in people] == [
        ("/people/ksenia-thorstrom", "Ksenia Thorstrom")
    ]
    assert result_count(page) == "1 statement"


def test_name_in_another_script_finds_the_same_person(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?" + urlencode({"q": "Торстрем"}))
    assert 'href="/people/ksenia-thorstrom"' in page
    assert hit_links(page) == [f"/statements/{RESIGNATION}"]


def test_treason_lists_both_treason_statements_only(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=treason")
    assert sorted(hit_links(page)) == sorted(
        [f"/statements/{KUNIN}", f"/statements/{SMOLNINSKOYE}"]
    )
    assert RESIGNATION not in page
    assert result_count(page) == "2 statements"


def test_district_filter_includes_children_and_facets_form_a_tree(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?district=ru/spb")
    assert result_count(page) == "3 statements"
    tree = facet_tree(page, "district")
    assert list(tree) == ["Russia"]
    below_spb = tree["Russia"][1]["Saint Petersburg"]
    assert below_spb[0] == 3
    assert below_spb[1] == {"Kolpino": (1, {}), "Smolninskoye": (1, {})}
    assert "Kolpino" not in tree["Russia"][1]  # only under Saint Petersburg


def test_active_filter_is_named_and_can_be_removed(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=putin&district=ru/spb/kolpino")
    (active,) = parse(page).find_all("ul", **{"class": "active-filters"})
    assert "District: Kolpino" in active.text()
    assert [a.attrs["href"] for a in active.find_all("a")] == ["/search?q=putin"]
    assert hit_links(page) == [f"/statements/{RESIGNATION}"]


def test_kind_filter_counts_appeals(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?kind=appeal")
    assert result_count(page) == "2 statements"
    assert RESIGNATION not in page
    data = get_json(client, "/search.json?kind=appeal")
    assert data["total"] == 2
    assert {r["kind"] for r in data["results"]} == {"appeal"}


def test_facet_links_add_a_filter_and_keep_the_query(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=putin&sort=date")
    assert 'href="/search?q=putin&amp;sort=date&amp;kind=appeal"' in page
    assert 'href="/search?q=putin&amp;sort=date&amp;district=ru/spb/smolninskoye"' in page
    assert 'href="/search?q=putin&amp;sort=date&amp;demand=treason_charges"' in page
    follow = get_page(client, "/search?q=putin&sort=date&demand=treason_charges")
    assert hit_links(follow) == [f"/statements/{SMOLNINSKOYE}"]


def test_facet_counts_follow_the_query(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=treason")
    assert facet_tree(page, "kind") == {"appeal": (2, {})}
    assert facet_tree(page, "demand") == {"impeachment": (1, {}), "treason charges": (1, {})}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=treason",
        "q=Torstrem",
        "kind=appeal",
        "district=ru/spb",
        "district=ru/moscow",
        "q=putin&kind=statement",
        "q=putin&year=2022&sort=date",
        "q=nothingmatchesthis",
        "page=abc&sort=xyz",
    ],
)
def test_json_twin_counts_as_the_page_does(demo: Any, client: Any, query: str) -> None:
    page = get_page(client, f"/search?{query}")
    data = get_json(client, f"/search.json?{query}")
    total = data["total"]
    expected = {0: "No statements match.", 1: "1 statement"}.get(total, f"{total} statements")
    assert result_count(page) == expected
    assert [r["url"] for r in data["results"]] == hit_links(page)


def test_json_describes_results_and_people(demo: Any, client: Any) -> None:
    data = get_json(client, "/search.json?q=Torstrem&district=ru/spb")
    assert data["query"] == "Torstrem"
    assert data["filters"] == {"district": "ru/spb"}
    assert (data["page"], data["per_page"], data["sort"]) == (1, 20, "relevance")
    assert data["results"] == [
        {
            "key": RESIGNATION,
            "url": f"/statements/{RESIGNATION}",
            "title": "Municipal deputies demand Vladimir Putin's resignation",
            "date": "2022-09",
            "kind": "statement",
            "districts": ["ru/moscow", "ru/spb", "ru/spb/kolpino"],
            "named_signatories": 1,
            "reported_signatories": 18,
            "demands": ["resignation"],
        }
    ]
    assert data["people"] == [
        {"key": "ksenia-thorstrom", "url": "/people/ksenia-thorstrom", "name": "Ksenia Thorstrom"}
    ]
    assert data["facets"]["district"]["ru/spb/kolpino"] == 1
    assert data["messages"] == [] and data["suggestion"] is None


def test_page_links_to_its_json_twin(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=treason&kind=appeal&sort=date")
    href = "/search.json?q=treason&amp;kind=appeal&amp;sort=date"
    assert f'<link rel="alternate" type="application/json" href="{href}">' in page
    assert f'<a href="{href}"' in page


def test_signatories_are_counted_in_words(demo: Any, client: Any) -> None:
    page = get_page(client, "/search")
    meta = {
        link: hit.find_all("p", **{"class": "meta"})[0].text()
        for link, hit in zip(
            hit_links(page), parse(page).find_all("li", **{"class": "hit"}), strict=True
        )
    }
    assert meta[f"/statements/{RESIGNATION}"].endswith("1 named, 18 reported")
    assert "Moscow, Saint Petersburg, Kolpino" in meta[f"/statements/{RESIGNATION}"]
    assert meta[f"/statements/{KUNIN}"].endswith("1 signatory")
    assert meta[f"/statements/{SMOLNINSKOYE}"].endswith("no named signatories")


def test_page_past_the_end_is_empty_but_fine(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=putin&page=2")
    assert hit_links(page) == []
    assert result_count(page) == "3 statements"
    assert "Page 2 of 1" in page
    assert 'rel="prev" href="/search?q=putin"' in page
    assert get_json(client, "/search.json?q=putin&page=2")["results"] == []


def test_pages_of_many_results(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    statements = [
        {"key": f"letter-{n:02}", "title": f"Open letter number {n}", "kind": "open_letter"}
        for n in range(25)
    ]
    import_statements(runner, tmp_path, statements)
    first = get_page(client, "/search?q=letter")
    assert result_count(first) == "25 statements"
    assert len(hit_links(first)) == 20
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/search?q=letter&amp;page=2"' in first
    second = get_page(client, "/search?q=letter&page=2")
    assert len(hit_links(second)) == 5
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    assert not set(hit_links(first)) & set(hit_links(second))


def test_sort_by_date_puts_newest_first(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    statements = [
        {"key": "old-appeal", "title": "An old appeal to Putin", "kind": "appeal", "date": "2021"},
        {
            "key": "new-appeal",
            "title": "A new appeal to Putin",
            "kind": "appeal",
            "date": "2023-01-15",
        },
    ]
    import_statements(runner, tmp_path, statements)
    data = get_json(client, "/search.json?q=putin&sort=date")
    assert data["sort"] == "date"
    keys = [r["key"] for r in data["results"]]
    assert keys[0] == "new-appeal"
    assert keys[-2:] == ["old-appeal", SMOLNINSKOYE]  # undated last
    page = get_page(client, "/search?q=putin&sort=date")
    assert hit_links(page)[0] == "/statements/new-appeal"
    assert '<strong aria-current="true">date</strong>' in page
    assert 'href="/search?q=putin">relevance</a>' in page


def test_matching_words_are_marked(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=wilderness")
    marks = [mark.text() for mark in parse(page).find_all("mark")]
    assert marks == ["wilderness"]
    assert hit_links(page) == [f"/statements/{KUNIN}"]


def test_stemmed_words_are_marked(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=resignation")
    marks = {mark.text().lower() for mark in parse(page).find_all("mark")}
    assert "resign" in marks


def test_record_text_is_escaped(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    hostile = "<b>bold</b> & <script>alert(1)</script> marker"
    statement = {"key": "hostile", "title": hostile, "kind": "other", "summary": hostile}
    import_statements(runner, tmp_path, [statement])
    page = get_page(client, "/search?q=marker")
    assert hit_links(page) == ["/statements/hostile"]
    assert "<script" not in page and "<b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-5",
        "page=0",
        "page=99999999999999999999",
        "page=" + "9" * 5000,
        "page=1.5",
        "page=",
        "sort=xyz",
        "sort=",
        "q=%00",
        "q=%ff%fe",
        "q=" + "x" * 10_000,
        "q=" + "treason+" * 2000,
        "q=%22unclosed",
        "q=-treason",
        "q=OR+OR",
        "q=date:2022-13",
        "q=district:" + "a" * 300,
        "district=" + "a" * 300,
        "kind=" + "k" * 201,
        "year=abcd",
        "lang=%00",
        "q=putin&page=2&sort=date&kind=appeal&year=2022&district=ru&demand=x&lang=en",
    ],
)
def test_any_parameters_answer_200(demo: Any, client: Any, query: str) -> None:
    """Any parameters give the page; its JSON twin answers 200, or 400 with the note when the
    search was refused or stopped, never a server error."""
    page = get_page(client, f"/search?{query}")
    parse(page)
    response = client.get(f"/search.json?{query}")
    assert response.status_code in (200, 400) and response.mimetype == "application/json"
    data = response.get_json()
    assert 1 <= data["page"] <= 1000
    assert data["sort"] in ("relevance", "date")
    if response.status_code == 400:
        assert data["results"] == [] and data["messages"], query


def test_bad_page_and_sort_are_corrected_and_said(demo: Any, client: Any) -> None:
    data = get_json(client, "/search.json?q=putin&page=abc&sort=xyz")
    assert (data["page"], data["sort"], data["total"]) == (1, "relevance", 3)
    assert len(data["results"]) == 3
    assert len(data["messages"]) == 2
    assert get_json(client, "/search.json?page=-5")["page"] == 1
    assert get_json(client, "/search.json?page=99999999999999999999")["page"] == 1000


def test_query_markup_is_escaped_never_raw(demo: Any, client: Any) -> None:
    query = "<script>alert(1)</script>"
    page = get_page(client, "/search?" + urlencode({"q": query}))
    assert "<script" not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert get_json(client, "/search.json?" + urlencode({"q": query}))["query"] == query


def test_long_query_is_cut_and_said(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=" + "x" * 10_000)
    assert "The query was cut to its first 500 characters." in page
    assert "x" * 1001 not in page


def test_control_characters_are_removed_and_said(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=%00")
    assert "\x00" not in page
    assert "Invisible and control characters were removed from the query." in page
    assert result_count(page) == "3 statements"


def test_too_long_filter_is_ignored(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?district=" + "a" * 300)
    assert result_count(page) == "3 statements"
    assert "The district filter was too long and ignored." in page
    assert get_json(client, "/search.json?district=" + "a" * 300)["filters"] == {}


def test_unknown_filter_value_finds_nothing(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?district=xx/nowhere")
    assert result_count(page) == "No statements match."
    assert (
        "District: xx/nowhere"
        in parse(page).find_all("ul", **{"class": "active-filters"})[0].text()
    )


def test_did_you_mean_links_the_corrected_query(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=treasn")
    (suggestion,) = parse(page).find_all("p", **{"class": "suggestion"})
    assert suggestion.text() == "Did you mean treason?"
    assert suggestion.find_all("a")[0].attrs["href"] == "/search?q=treason"
    assert get_json(client, "/search.json?q=treasn")["suggestion"] == "treason"
    assert len(hit_links(get_page(client, "/search?q=treason"))) == 2


def test_query_messages_are_shown(demo: Any, client: Any) -> None:
    page = get_page(client, "/search?q=*a*")
    (messages,) = parse(page).find_all("ul", **{"class": "messages"})
    assert "Wildcards work only at the end of a word" in messages.text()


def test_search_on_empty_archive(client: Any) -> None:
    page = get_page(client, "/search?q=putin")
    assert result_count(page) == "No statements match."
    assert get_json(client, "/search.json")["total"] == 0


def test_search_forms_are_labelled_and_need_no_script(demo: Any, client: Any) -> None:
    for url, field_id in [("/", "home-q"), ("/search", "search-q"), ("/no/such/page", "header-q")]:
        response = client.get(url)
        page = parse(response.get_data(as_text=True))
        (form,) = [f for f in page.find_all("form") if f.find_all("input", id=field_id)]
        assert (form.attrs["action"], form.attrs["method"]) == ("/search", "get")
        assert form.find_all("input", id=field_id)[0].attrs["name"] == "q"
        assert form.find_all("label", **{"for": field_id})
        assert not page.find_all("script")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.text(max_size=200),
    params=st.dictionaries(
        st.sampled_from(["kind", "year", "district", "demand", "lang", "sort", "page"]),
        st.text(max_size=30),
        max_size=3,
    ),
)
def test_any_query_and_parameters_give_a_page(
    demo: Flask, query: str, params: dict[str, str]
) -> None:
    """Random strings in every parameter answer 200 in both forms (property-based)."""
    client = demo.test_client()
    for path in ("/search", "/search.json"):
        response = client.get(path, query_string={"q": query, **params})
        assert response.status_code == 200, (path, query, params)


def district_facet(page: str) -> list[tuple[int, str, str]]:
    """Return the district facet's items depth first: (depth, words, link); a value's words
    are its label and count, the item standing for values left out says how many."""
    (section,) = parse(page).find_all("section", **{"aria-labelledby": "facet-district"})
    items: list[tuple[int, str, str]] = []

    def walk(ul: Node, depth: int) -> None:
        for li in ul.elements():
            shown = [child for child in li.elements() if child.tag != "ul"]
            words = " ".join(child.text() for child in shown)
            items.append((depth, words, shown[0].attrs.get("href") or ""))
            for below in li.elements():
                if below.tag == "ul":
                    walk(below, depth + 1)

    walk(section.elements()[1], 0)
    return items


def towns(runner: FlaskCliRunner, tmp_path: Path, count: int) -> None:
    """Import ``count`` towns under Saint Petersburg, each named by one statement."""
    document = {
        "format": "dissent-archive/1",
        "districts": [
            {
                "key": f"ru/spb/town-{n:02}",
                "name": f"Town {n:02}",
                "kind": "town",
                "parent": "ru/spb",
            }
            for n in range(count)
        ],
        "statements": [
            {
                "key": f"town-letter-{n:02}",
                "title": f"Letter from town {n:02}",
                "kind": "open_letter",
                "districts": [f"ru/spb/town-{n:02}"],
            }
            for n in range(count)
        ],
    }
    path = tmp_path / "towns.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def test_large_district_facet_shows_the_levels_a_reader_needs(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """Regression: the facet listed every district counted, thousands at scale."""
    towns(runner, tmp_path, 50)
    assert district_facet(get_page(client, "/search")) == [
        (0, "Russia 53", "/search?district=ru"),
        (1, "Saint Petersburg 53", "/search?district=ru/spb"),
        (1, "Moscow 1", "/search?district=ru/moscow"),
    ]
    chosen = district_facet(get_page(client, "/search?district=ru/spb"))
    assert chosen[:2] == [(0, "Russia 53", "/search?district=ru"), (1, "Saint Petersburg 53", "")]
    below = [item for item in chosen if item[0] == 2]
    assert [words for _, words, _ in below] == [
        "Kolpino 1",
        "Smolninskoye 1",
        *[f"Town {n:02} 1" for n in range(8)],
        "42 more district values",
    ]
    assert below[-1][2] == "/search?district=ru/spb&expand=ru/spb"
    expanded = district_facet(get_page(client, below[-1][2]))
    assert len([item for item in expanded if item[0] == 2]) == 52
    assert not [item for item in expanded if "more" in item[1]]
    # The way to an expanded (or chosen) district shows, though it is not among the ten.
    deep = district_facet(get_page(client, "/search?expand=ru/spb/town-49"))
    words = [words for depth, words, _ in deep if depth == 2]
    assert words[-2:] == ["Town 49 1", "41 more district values"]


def test_expanded_facet_stays_while_paging_and_sorting_only(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    towns(runner, tmp_path, 50)
    page = get_page(client, "/search?district=ru/spb&expand=ru/spb")
    assert 'href="/search?district=ru/spb&amp;sort=date&amp;expand=ru/spb"' in page
    assert 'href="/search?district=ru/spb&amp;page=2&amp;expand=ru/spb"' in page
    assert 'href="/search?district=ru/spb/kolpino"' in page  # a new filter folds it again
    assert 'href="/search.json?district=ru/spb"' in page  # the twins have no facet to expand
    assert 'href="/search">remove' in page
    assert get_json(client, "/search.json?district=ru/spb&expand=ru/spb")["total"] == 53


def test_top_level_of_the_district_facet_can_be_expanded(
    demo: Any, client: Any, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_views, "FACET_TREE", 0)
    monkeypatch.setattr(search_views, "FACET_LEVEL", 1)
    belarus = {"key": "by", "name": "Belarus", "kind": "country"}
    letter = {"key": "minsk-letter", "title": "Letter", "kind": "open_letter", "districts": ["by"]}
    document = {"format": "dissent-archive/1", "districts": [belarus], "statements": [letter]}
    (tmp_path / "by.json").write_text(json.dumps(document), encoding="utf-8")
    assert runner.invoke(args=["import", str(tmp_path / "by.json")]).exit_code == 0
    folded = district_facet(get_page(client, "/search"))
    assert folded == [
        (0, "Russia 3", "/search?district=ru"),
        (1, "Saint Petersburg 3", "/search?district=ru/spb"),
        (1, "1 more district values", "/search?expand=ru"),
        (0, "1 more district values", "/search?expand=/"),
    ]
    tops = [words for depth, words, _ in district_facet(get_page(client, "/search?expand=/"))]
    assert "Belarus 1" in tops


def test_search_page_queries_do_not_grow_with_its_hits(
    demo: Any, client: Any, runner: FlaskCliRunner, db: Any, tmp_path: Path
) -> None:
    statements = [
        {"key": f"letter-{n:02}", "title": f"Open letter number {n}", "kind": "open_letter"}
        for n in range(25)
    ]
    import_statements(runner, tmp_path, statements)
    get_page(client, "/search?q=Torstrem")
    with recorded_sql(db) as one:
        assert len(hit_links(get_page(client, "/search?q=Torstrem"))) == 1
    with recorded_sql(db) as twenty:
        assert len(hit_links(get_page(client, "/search?q=letter"))) == 20
    assert len(one) == len(twenty) <= 12


def test_a_lagging_index_is_said_on_the_page_and_in_its_twins(
    demo: Flask, client: Any, db: Any, tmp_path: Path
) -> None:
    db.after_commit.clear()  # the writer died after its commit, before the index caught up
    path = tmp_path / "late.json"
    late = {"key": "late-letter", "title": "Zyxwvut letter", "kind": "open_letter"}
    path.write_text(json.dumps({"statements": [late]}), encoding="utf-8")
    importer.run(db, [path])
    index = get_index(demo)
    writer = index.open().writer()  # another process holds the index writer meanwhile
    try:
        page = get_page(client, "/search?q=Zyxwvut")
        assert "These results do not include the latest change yet" in page
        footer = parse(page).find_all("footer")[0].text()
        data = get_json(client, "/search.json?q=Zyxwvut")
        assert (data["index_version"], data["results"]) == (data["dataset_version"] - 1, [])
        assert f"Dataset version {data['dataset_version']}." in footer
        assert f"Search index at version {data['index_version']}." in footer
        response = client.get("/search.csv?q=Zyxwvut")
        assert response.headers["X-Index-Version"] == str(data["index_version"])
        assert response.headers["X-Dataset-Version"] == str(data["dataset_version"])
    finally:
        writer.cancel()
    assert index.settle(timeout=60)  # the background caught up; no command was run
    data = get_json(client, "/search.json?q=Zyxwvut")
    assert data["index_version"] == data["dataset_version"]
    assert [hit["key"] for hit in data["results"]] == ["late-letter"]
    assert "do not include" not in get_page(client, "/search?q=Zyxwvut")


@pytest.mark.parametrize("twin", ["", ".json", ".csv"])
def test_search_without_an_index_answers_503_with_retry_after_and_other_pages_serve(
    demo: Flask, client: Any, twin: str
) -> None:
    index = get_index(demo)
    index.close()
    shutil.rmtree(demo.config["INDEX_DIR"])
    response = client.get(f"/search{twin}?q=Torstrem")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(search_views.REBUILD_RETRY_AFTER)
    assert "being rebuilt" in response.get_data(as_text=True)
    assert client.get("/statements").status_code == 200  # every other page keeps serving
    assert index.settle(timeout=60)
    assert get_json(client, "/search.json?q=Torstrem")["results"][0]["key"] == RESIGNATION
