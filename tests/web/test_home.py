"""The home page: counts, latest statements, the timeline chart and the busiest districts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive.data.database import Database
from archive.web.chart import month_chart
from tests.web.pages import Node, check_page, get_page, import_records, recorded_sql, tables_read

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"
HOSTILE = "<script>alert(1)</script>"


def chart_section(page: Node) -> Node:
    """Return the section of the home page that holds the timeline."""
    (found,) = page.find_all("section", **{"aria-labelledby": "timeline-heading"})
    return found


def bars(page: Node) -> dict[str, tuple[int, float, str]]:
    """Return each bar of the chart by month: its count, height and title."""
    return {
        rect.attrs["data-month"] or "": (
            int(rect.attrs["data-count"] or ""),
            float(rect.attrs["height"] or ""),
            rect.find_all("title")[0].text(),
        )
        for rect in page.with_class("rect", "bar")
    }


def dated(key: str, date: str | None) -> dict[str, Any]:
    """Return a statement record with a date."""
    return {"key": key, "title": f"Statement {key}", "kind": "other", "date": date}


def test_counts_and_search_box(demo: Any, client: Any) -> None:
    page = get_page(client, "/")
    assert page.find_all("dl")[0].terms() == {
        "Statements": "3",
        "People": "2",
        "Districts": "5",
        "Sources": "4",
    }
    (form,) = page.find_all("form", role="search")
    assert form.attrs["action"] == "/search"
    assert form.find_all("label")[0].attrs["for"] == form.find_all("input")[0].attrs["id"]


def test_latest_statements_are_linked(demo: Any, client: Any) -> None:
    (latest,) = get_page(client, "/").with_class("ul", "latest")
    assert [link for link, _ in latest.links()] == [
        f"/statements/{KUNIN}",
        f"/statements/{RESIGNATION}",
        f"/statements/{SMOLNINSKOYE}",
    ]
    assert "Municipal deputies demand Vladimir Putin's resignation September 2022" in latest.text()


def test_chart_has_a_bar_for_september_2022(demo: Any, client: Any) -> None:
    page = get_page(client, "/")
    (svg,) = chart_section(page).find_all("svg")
    assert svg.attrs["role"] == "img"
    (title,) = svg.find_all("title", id=svg.attrs["aria-labelledby"] or "")
    assert title.text() == "Statements per month"
    (desc,) = svg.find_all("desc", id=svg.attrs["aria-describedby"] or "")
    assert desc.text().startswith("Statements per month in September 2022")
    assert bars(page) == {"2022-09": (2, 164.0, "September 2022: 2 statements")}
    assert [text.text() for text in svg.find_all("text")] == ["2", "0", "Sep", "2022"]
    (table,) = chart_section(page).find_all("table")
    assert table.attrs["class"] == "visually-hidden"
    (row,) = table.find_all("tbody")[0].find_all("tr")
    assert [row.find_all("th")[0].text(), row.find_all("td")[0].text()] == ["September 2022", "2"]


def test_bars_follow_the_counts_and_months_are_on_the_axis(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    import_records(db, tmp_path, statements=[dated("a", "2022-07-14"), dated("b", "2022-09-01")])
    page = get_page(client, "/")
    assert bars(page) == {
        "2022-07": (1, 54.67, "July 2022: 1 statement"),
        "2022-09": (3, 164.0, "September 2022: 3 statements"),
    }
    labels = [text.text() for text in chart_section(page).find_all("svg")[0].find_all("text")]
    assert labels == ["3", "0", "Jul", "2022", "Aug", "Sep"]


def test_year_only_and_undated_statements_are_noted_not_charted(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    import_records(db, tmp_path, statements=[dated("a", "2021"), dated("b", "2020")])
    page = get_page(client, "/")
    assert list(bars(page)) == ["2022-09"]
    (note,) = chart_section(page).with_class("p", "chart-note")
    expected = "Not on the chart: 2 statements dated only to a year and 1 undated statement."
    assert note.text() == expected


def test_no_month_dates_give_a_sentence_not_a_chart(
    client: Any, db: Database, tmp_path: Path
) -> None:
    import_records(db, tmp_path, statements=[dated("a", "2021")])
    section = chart_section(get_page(client, "/"))
    assert not section.find_all("svg")
    assert "No statement is dated to a month yet" in section.text()
    assert "1 statement dated only to a year" in section.text()


def test_empty_archive_says_so_instead_of_a_chart(client: Any) -> None:
    page = get_page(client, "/")
    assert not page.find_all("svg")
    assert "The archive is empty." in page.text()


def test_districts_with_most_signatories(demo: Any, client: Any) -> None:
    (top,) = get_page(client, "/").with_class("ol", "top-districts")
    assert [
        (item.links(), item.with_class("span", "count")[0].text()) for item in top.find_all("li")
    ] == [
        ([("/districts/ru", "Russia")], "2 signatories"),
        ([("/districts/ru/spb", "Saint Petersburg")], "2 signatories"),
    ]


def test_districts_with_most_signatories_are_ten_at_most(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    towns = [
        {"key": f"ru/town-{n:02}", "name": f"Town {n:02}", "kind": "town", "parent": "ru"}
        for n in range(12)
    ]
    statement = {
        "key": "towns",
        "title": "Twelve towns",
        "kind": "appeal",
        "signatures": [
            {"person": {"name": f"Deputy {n:02}"}, "district": f"ru/town-{n:02}"} for n in range(12)
        ],
    }
    import_records(db, tmp_path, districts=towns, statements=[statement])
    (top,) = get_page(client, "/").with_class("ol", "top-districts")
    names = [item.links()[0][1] for item in top.find_all("li")]
    assert len(names) == 10
    assert names[:2] == ["Russia", "Saint Petersburg"]
    assert names[2:] == [f"Town {n:02}" for n in range(8)]


def test_month_chart_labels_years_on_a_long_span() -> None:
    chart = month_chart({"1990-11": 1, "2022-09": 4})
    assert chart is not None
    assert [tick.label for tick in chart.ticks] == ["1995", "2000", "2005", "2010", "2015", "2020"]
    assert [bar.height for bar in chart.bars] == [41.0, 164.0]
    assert chart.bars[0].x < chart.bars[1].x
    assert month_chart({}) is None
    assert month_chart({"2022-01": 0}) is None


def test_record_text_is_escaped(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    hostile = f"{HOSTILE} & <b>bold</b>"
    district = {"key": "ru/hostile", "name": hostile, "kind": "other", "parent": "ru"}
    signature = {"person": {"name": "Someone"}, "district": "ru/hostile"}
    statement = {
        "key": "hostile",
        "title": hostile,
        "kind": "other",
        "date": "2030-01",
        "signatures": [signature],
    }
    import_records(db, tmp_path, districts=[district], statements=[statement])
    text = client.get("/").get_data(as_text=True)
    assert "<script>" not in text and "<b>" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") == 2
    check_page(text)


def test_home_page_again_reads_only_the_dataset_version(
    demo: Any, client: Any, db: Database
) -> None:
    """Regression: every request read the whole district tree and counted every table again."""
    first = client.get("/").get_data(as_text=True)
    with recorded_sql(db) as kept:
        assert client.get("/").get_data(as_text=True) == first
    # Another URL renders the page again, from the overview kept for the dataset version.
    with recorded_sql(db) as rendered:
        again = get_page(client, "/?from=elsewhere")
    assert tables_read(kept) == [{"revisions"}]
    assert set().union(*tables_read(rendered)) == {"revisions"}
    assert again.with_class("ol", "top-districts")[0].links()[0] == ("/districts/ru", "Russia")


def test_home_page_follows_a_new_dataset_version(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    before = get_page(client, "/")
    assert before.find_all("dl")[0].terms()["Statements"] == "3"
    district = {"key": "ru/tver", "name": "Tver", "kind": "region", "parent": "ru"}
    signatures = [{"person": {"name": f"Deputy {n}"}, "district": "ru/tver"} for n in range(3)]
    statement = dated("newest", "2030-01-02") | {"signatures": signatures}
    import_records(db, tmp_path, districts=[district], statements=[statement])
    after = get_page(client, "/")
    assert after.find_all("dl")[0].terms()["Statements"] == "4"
    assert after.with_class("ul", "latest")[0].links()[0] == (
        "/statements/newest",
        "Statement newest",
    )
    top = after.with_class("ol", "top-districts")[0].find_all("li")
    assert [item.links()[0][1] for item in top] == ["Russia", "Tver", "Saint Petersburg"]
    assert "2030-01" in bars(after)
