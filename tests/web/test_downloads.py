"""The CSV twins of every list, record and search, and the whole archive at /export."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from archive.data.database import Database
from archive.data.revisions import chain_head, dataset_version
from archive.importing.tables import TABLES
from archive.index import search
from archive.index.compiler import TimedOut
from archive.web.context import get_db
from tests.web.pages import Node, get_json, get_page, import_records
from tests.web.test_routes import check_headers

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"
THORSTROM = "ksenia-thorstrom"
MIRROR = "mirror-2022-09-putin-quit"
BOM = "\ufeff"
STATEMENT_COLUMNS = (
    "key,url,title,date,date_precision,kind,language,demands,addressee,reported_signatories,"
    "named_signatories,districts,district_names,publishers,sources,summary,dataset_version"
)
SIGNATURE_COLUMNS = (
    "statement_key,statement_title,statement_date,person_key,person_name,position,role,"
    "district_key,district_name,stance,withdrawn,withdrawal_source_key,note,sources,"
    "dataset_version"
)
BULK = 130  # more statements than one page of a list (50) or of run_search (100)
LIST_URLS = ["/statements", "/people", "/districts", "/sources"]
RECORD_URLS = [
    f"/statements/{RESIGNATION}",
    f"/people/{THORSTROM}",
    "/districts/ru/spb",
    f"/sources/{MIRROR}",
]


def version(db: Database) -> int:
    """Return the archive's dataset version."""
    with db.session() as session:
        return dataset_version(session)


def fetch(client: Any, url: str, mimetype: str = "text/csv") -> TestResponse:
    """Fetch a download that must answer 200 with its headers; read it to its end."""
    response: TestResponse = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == mimetype, url
    assert response.is_streamed, url
    check_headers(response, url)
    assert response.headers["X-Dataset-Version"].isdecimal()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", response.headers["X-Export-Time"])
    response.get_data()
    response.close()
    return response


def get_csv(client: Any, url: str) -> str:
    """Return the text of a plain CSV twin (exact UTF-8, no byte-order mark)."""
    response = fetch(client, url)
    assert response.content_type == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8")
    assert not text.startswith(BOM)
    return text


def rows(text: str) -> list[dict[str, str]]:
    """Parse a CSV document into dicts by column."""
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def keys(text: str, column: str = "key") -> list[str]:
    """Return one column of a CSV document."""
    return [row[column] for row in rows(text)]


def disposition(client: Any, url: str) -> str:
    """Return the Content-Disposition of a download."""
    return fetch(client, url).headers["Content-Disposition"]


def twins_links(page: Node) -> list[tuple[str, str]]:
    """Return the links of a page's twins paragraph."""
    (twins,) = page.with_class("p", "twins")
    return twins.links()


@pytest.fixture
def bulk(demo: Flask, db: Database, tmp_path: Path) -> Flask:
    """Add BULK statements about a 'bulkword', each signed by a person of its own."""
    people = [{"key": f"bulk-person-{n:03}", "name": f"Bulk Person {n:03}"} for n in range(BULK)]
    statements = [
        {
            "key": f"bulk-{n:03}",
            "title": f"Bulk appeal number {n} about the bulkword",
            "kind": "appeal",
            "date": f"20{10 + n % 13}-0{1 + n % 9}",
            "summary": "bulkword " * (1 + n % 5),
            "signatures": [
                {"person": f"bulk-person-{n:03}", "role": "deputy", "district": "ru/spb"}
            ],
        }
        for n in range(BULK)
    ]
    import_records(db, tmp_path, people=people, statements=statements)
    return demo


# Exact CSV for small cases.


def test_statement_twin_is_its_signatures_exactly(demo: Flask, client: Any, db: Database) -> None:
    v = version(db)
    assert get_csv(client, f"/statements/{RESIGNATION}.csv") == (
        f"{SIGNATURE_COLUMNS}\r\n"
        f"{RESIGNATION},Municipal deputies demand Vladimir Putin's resignation,2022-09,"
        f"{THORSTROM},Ksenia Thorstrom,1,municipal deputy,ru/spb,Saint Petersburg,signed,,,"
        f"The statement was published on her Twitter.,{MIRROR},{v}\r\n"
    )
    assert get_csv(client, f"/statements/{SMOLNINSKOYE}.csv") == f"{SIGNATURE_COLUMNS}\r\n"


def test_person_twin_is_their_signatures(demo: Flask, client: Any) -> None:
    statement = get_csv(client, f"/statements/{RESIGNATION}.csv")
    assert get_csv(client, f"/people/{THORSTROM}.csv") == statement


def test_people_and_districts_twins_exactly(demo: Flask, client: Any, db: Database) -> None:
    v = version(db)
    assert get_csv(client, "/people.csv") == (
        "key,url,name,description,statements,dataset_version\r\n"
        f"{THORSTROM},http://localhost/people/{THORSTROM},Ksenia Thorstrom,"
        f"Municipal deputy of St Petersburg.,1,{v}\r\n"
        "kunin-vasily-evgenievich,http://localhost/people/kunin-vasily-evgenievich,"
        f"Kunin Vasily Evgenievich,Councillor in St Petersburg.,1,{v}\r\n"
    )
    assert get_csv(client, "/districts.csv") == (
        "key,url,name,kind,parent_key,depth,statements,signatories,dataset_version\r\n"
        f"ru,http://localhost/districts/ru,Russia,country,,0,3,2,{v}\r\n"
        f"ru/moscow,http://localhost/districts/ru/moscow,Moscow,federal_city,ru,1,1,0,{v}\r\n"
        f"ru/spb,http://localhost/districts/ru/spb,Saint Petersburg,federal_city,ru,1,3,2,{v}\r\n"
        f"ru/spb/kolpino,http://localhost/districts/ru/spb/kolpino,Kolpino,town,ru/spb,2,1,0,{v}\r\n"
        "ru/spb/smolninskoye,http://localhost/districts/ru/spb/smolninskoye,Smolninskoye,"
        f"municipal_okrug,ru/spb,2,1,0,{v}\r\n"
    )


def test_statement_rows_describe_each_statement(demo: Flask, client: Any, db: Database) -> None:
    text = get_csv(client, "/statements.csv")
    assert text.startswith(STATEMENT_COLUMNS + "\r\n")
    found = {row["key"]: row for row in rows(text)}
    assert found[RESIGNATION] == {
        "key": RESIGNATION,
        "url": f"http://localhost/statements/{RESIGNATION}",
        "title": "Municipal deputies demand Vladimir Putin's resignation",
        "date": "2022-09",
        "date_precision": "month",
        "kind": "statement",
        "language": "",
        "demands": "resignation",
        "addressee": "Vladimir Putin",
        "reported_signatories": "18",
        "named_signatories": "1",
        "districts": "ru/moscow;ru/spb;ru/spb/kolpino",
        "district_names": "Moscow;Saint Petersburg;Kolpino",
        "publishers": "Daily Mail;inkl;Daily Mirror;Twitter",
        "sources": (
            "dailymail-2022-09-municipal-deputies;inkl-mirror-2022-09-putin-quit;"
            f"{MIRROR};twitter-torstrem-2022-09"
        ),
        "summary": get_json(client, f"/statements/{RESIGNATION}.json")["summary"],
        "dataset_version": str(version(db)),
    }
    assert found[SMOLNINSKOYE]["date"] == found[SMOLNINSKOYE]["date_precision"] == ""
    assert found[SMOLNINSKOYE]["named_signatories"] == "0"


def test_source_twin_lists_every_record_citing_it(demo: Flask, client: Any) -> None:
    cited = get_json(client, f"/sources/{MIRROR}.json")["cited_by"]
    found = rows(get_csv(client, f"/sources/{MIRROR}.csv"))
    statements = [row["statement_key"] for row in found if row["record_type"] == "statement"]
    assert statements == cited["statements"]
    signatures = [
        f"{row['statement_key']}/{row['person_key']}"
        for row in found
        if row["record_type"] == "signature"
    ]
    assert signatures == cited["signatures"]
    events = [row for row in found if row["record_type"] == "event"]
    assert [row["event_key"] for row in events] == cited["events"]
    assert {row["cited_as"] for row in found} == {"source"}
    assert events[0]["event_kind"] == "summoned"
    assert events[0]["statement_key"] == SMOLNINSKOYE


def test_district_twin_holds_statements_from_it_and_below(demo: Flask, client: Any) -> None:
    page = get_json(client, "/districts/ru/spb.json")["statements"]
    text = get_csv(client, "/districts/ru/spb.csv")
    assert keys(text) == [item["key"] for item in page["items"]]
    assert SMOLNINSKOYE in keys(text)  # named by a district below St Petersburg
    assert keys(get_csv(client, "/districts/ru/moscow.csv")) == [RESIGNATION]


# The search.

SEARCHES = [
    {"q": "treason"},
    {"q": "Торстрем"},
    {"q": "putin", "sort": "date"},
    {"q": ""},
    {"district": "ru/spb"},
    {"q": "putin", "kind": "appeal"},
    {"q": "nothing-matches-this"},
    {"q": "*a* ((( date:2022-01..", "demand": "resignation"},
]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda params: urlencode(params))
def test_search_csv_has_every_statement_the_search_counts(
    demo: Flask, client: Any, params: dict[str, str]
) -> None:
    query = urlencode(params)
    found = get_json(client, f"/search.json?{query}")
    response = fetch(client, f"/search.csv?{query}")
    text = response.get_data().decode("utf-8")
    assert keys(text) == [result["key"] for result in found["results"]]
    assert len(rows(text)) == found["total"] == int(response.headers["X-Total-Count"])


def test_treason_search_csv(demo: Flask, client: Any) -> None:
    assert keys(get_csv(client, "/search.csv?q=treason")) == [SMOLNINSKOYE, KUNIN]


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_search_csv_pages_through_every_result(bulk: Flask, client: Any, sort: str) -> None:
    pages = []
    total = get_json(client, f"/search.json?q=bulkword&sort={sort}")["total"]
    assert total == BULK
    for number in range(1, -(-total // 20) + 1):
        found = get_json(client, f"/search.json?q=bulkword&sort={sort}&page={number}")
        pages += [result["key"] for result in found["results"]]
    found_keys = keys(get_csv(client, f"/search.csv?q=bulkword&sort={sort}&page=3"))
    assert found_keys == pages
    assert len(set(found_keys)) == BULK


def test_search_csv_long_form_has_every_signature(bulk: Flask, client: Any) -> None:
    text = get_csv(client, "/search.csv?q=putin&rows=signatures")
    assert text.startswith(SIGNATURE_COLUMNS + "\r\n")
    statements = keys(get_csv(client, "/search.csv?q=putin"))
    expected = "".join(
        get_csv(client, f"/statements/{key}.csv").split("\r\n", 1)[1] for key in statements
    )
    assert text.split("\r\n", 1)[1] == expected
    assert [row["person_key"] for row in rows(text)] == [THORSTROM, "kunin-vasily-evgenievich"]
    bulky = rows(get_csv(client, "/search.csv?q=bulkword&sort=date&rows=signatures"))
    assert len(bulky) == BULK
    assert {row["district_name"] for row in bulky} == {"Saint Petersburg"}


def test_download_names_the_query_and_version(demo: Flask, client: Any, db: Database) -> None:
    v = version(db)
    q = quote("Торстрем")
    assert disposition(client, f"/search.csv?q={q}&dl=1") == (
        f'attachment; filename="search-torstrem-v{v}.csv"'
    )
    assert disposition(client, f"/search.csv?q={q}&district=ru/spb&rows=signatures&dl=1") == (
        f'attachment; filename="search-torstrem-district-ru-spb-signatures-v{v}.csv"'
    )
    assert disposition(client, f"/search.csv?q={q}&excel=1&dl=1") == (
        f'attachment; filename="search-torstrem-v{v}-excel.csv"'
    )
    assert disposition(client, "/search.csv") == f'inline; filename="search-all-v{v}.csv"'
    hostile = quote('"; filename=../../etc/passwd\r\nX-Evil: 1')
    header = disposition(client, f"/search.csv?q={hostile}&dl=1")
    name = re.fullmatch(r'attachment; filename="([^"]*)"', header)
    assert name is not None and re.fullmatch(r"[A-Za-z0-9-]+\.csv", name[1]), header
    assert disposition(client, f"/statements/{RESIGNATION}.csv?dl=1") == (
        f'attachment; filename="statement-{RESIGNATION}-signatures-v{v}.csv"'
    )
    assert disposition(client, "/statements.csv?sort=title") == (
        f'inline; filename="statements-by-title-v{v}.csv"'
    )


# The two dialects.


def test_excel_variant_has_a_bom_and_neutralises_formulas(
    demo: Flask, client: Any, db: Database, tmp_path: Path
) -> None:
    formula = {
        "key": "formula",
        "title": "=1+1",
        "kind": "petition",
        "addressee": "@SUM(A1)",
        "summary": "-2+3 is not a formula here",
    }
    import_records(db, tmp_path, statements=[formula])
    plain = {row["key"]: row for row in rows(get_csv(client, "/statements.csv?sort=key"))}
    assert plain["formula"]["title"] == "=1+1"
    assert plain["formula"]["addressee"] == "@SUM(A1)"
    assert plain["formula"]["summary"] == "-2+3 is not a formula here"
    response = fetch(client, "/statements.csv?sort=key&excel=1")
    text = response.get_data().decode("utf-8")
    assert text.startswith(BOM + STATEMENT_COLUMNS + "\r\n")
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    excel = {row["key"]: row for row in rows(text)}
    assert excel["formula"]["title"] == "'=1+1"
    assert excel["formula"]["addressee"] == "'@SUM(A1)"
    assert excel["formula"]["summary"] == "'-2+3 is not a formula here"
    assert excel[RESIGNATION] == plain[RESIGNATION]  # harmless cells are unchanged
    assert [row["title"] for row in rows(get_csv(client, "/search.csv?kind=petition"))] == ["=1+1"]
    searched = fetch(client, "/search.csv?kind=petition&excel=1").get_data().decode("utf-8")
    assert [row["title"] for row in rows(searched)] == ["'=1+1"]


def test_plain_csv_keeps_every_character(
    demo: Flask, client: Any, db: Database, tmp_path: Path
) -> None:
    tricky = {
        "key": "tricky",
        "title": 'Заявление "депутатов", часть 1; ещё',
        "kind": "open_letter",
        "addressee": "Владимир Путин, президент",
        "summary": 'Строка одна,\n"две", вторая\r\n3\t— конец',
        "demands": ["resignation", "end_war"],
    }
    import_records(db, tmp_path, statements=[tricky])
    stored = get_json(client, "/statements/tricky.json")
    (row,) = [row for row in rows(get_csv(client, "/statements.csv")) if row["key"] == "tricky"]
    for name in ("title", "addressee", "summary"):
        assert row[name] == stored[name]
    assert "\n" in row["summary"] and '"' in row["title"]
    assert row["demands"] == "resignation;end_war"
    searched = rows(get_csv(client, f"/search.csv?q={quote('депутатов')}"))
    assert [found["title"] for found in searched] == [stored["title"]]


# Every page links its twins; lists hold every row.


@pytest.mark.parametrize("url", LIST_URLS + RECORD_URLS)
def test_every_page_links_its_csv_twin(demo: Flask, client: Any, url: str) -> None:
    links = twins_links(get_page(client, url))
    assert (f"{url}.json", "JSON") in links
    assert (f"{url}.csv", "CSV") in links
    assert (f"{url}.csv?excel=1", "CSV for Excel") in links
    assert ("/export#dialects", "which CSV?") in links
    get_csv(client, f"{url}.csv")
    assert fetch(client, f"{url}.csv?excel=1").get_data().startswith(BOM.encode())


def test_sorted_list_links_its_twin_in_that_order(bulk: Flask, client: Any) -> None:
    links = twins_links(get_page(client, "/statements?sort=title&page=2"))
    assert ("/statements.csv?sort=title", "CSV") in links
    assert ("/statements.csv?sort=title&excel=1", "CSV for Excel") in links


@pytest.mark.parametrize(
    ("url", "sort"),
    [
        ("/statements", "date"),
        ("/statements", "title"),
        ("/statements", "key"),
        ("/people", "name"),
        ("/people", "statements"),
        ("/sources", "published"),
        ("/districts", "key"),
    ],
)
def test_list_twin_holds_every_row_in_the_list_order(
    bulk: Flask, client: Any, url: str, sort: str
) -> None:
    listed: list[str] = []
    number, pages = 1, 1
    while number <= pages:
        page = get_json(client, f"{url}.json?sort={sort}&page={number}")
        listed += [item["key"] for item in page["items"]]
        number, pages = number + 1, page["pages"]
    text = get_csv(client, f"{url}.csv?sort={sort}&page=2")
    assert keys(text) == listed
    assert len(listed) == page["total"]


def test_search_page_links_both_forms_and_the_excel_variant(demo: Flask, client: Any) -> None:
    page = get_page(client, "/search?q=treason&kind=appeal&sort=date&page=1")
    (downloads,) = page.find_all("section", **{"class": "downloads"})
    links = downloads.links()
    base = "/search.csv?q=treason&kind=appeal&sort=date"
    assert (f"{base}&dl=1", "CSV") in links
    assert (f"{base}&dl=1&excel=1", "CSV for Excel") in links
    assert (f"{base}&rows=signatures&dl=1", "CSV") in links
    assert (f"{base}&rows=signatures&dl=1&excel=1", "CSV for Excel") in links
    assert ("/search.json?q=treason&kind=appeal&sort=date", "JSON") in links
    for href, _text in links:
        if href.startswith("/search.csv"):
            fetch(client, href)


# The whole archive.


def test_export_page_is_the_codebook(demo: Flask, client: Any, db: Database) -> None:
    page = get_page(client, "/export")
    assert ("/export", "Export") in page.find_all("nav", **{"class": "site"})[0].links()
    (shown,) = page.with_class("span", "dataset-version")
    assert shown.text() == str(version(db))
    with db.session() as session:
        head = chain_head(session)
    assert head is not None
    assert [code.text() for code in page.with_class("code", "chain-head")] == [head]
    links = page.links()
    assert ("/export.zip", "zip of plain CSV") in links
    assert ("/export.zip?excel=1", "zip of CSV for Excel") in links
    assert ("/export/datapackage.json", "datapackage.json") in links
    for table in TABLES:
        (section,) = page.find_all("section", **{"aria-labelledby": f"table-{table.name}"})
        assert (f"/export/{table.name}.csv", "CSV") in section.links()
        assert (f"/export/{table.name}.csv?excel=1", "CSV for Excel") in section.links()
        (codebook,) = section.with_class("table", "codebook")
        described = {
            row.find_all("th")[0].text(): row.find_all("td")[2].text()
            for row in codebook.find_all("tbody")[0].find_all("tr")
        }
        assert list(described) == [column.name for column in table.columns]
        for column in table.columns:
            assert described[column.name].startswith(column.description)
    (dialects,) = page.find_all("section", **{"aria-labelledby": "dialects"})
    text = dialects.text()
    assert "byte-order mark" in text and "apostrophe" in text and "RFC 4180" in text
    assert {"=", "+", "-", "@", "'"} <= {code.text() for code in dialects.find_all("code")}


def test_export_page_without_data(client: Any) -> None:
    page = get_page(client, "/export")
    assert page.with_class("span", "dataset-version")[0].text() == "0"
    assert page.with_class("code", "chain-head") == []  # no history, no chain
    assert client.get("/export/datapackage.json").get_json()["chain_head"] is None
    assert get_csv(client, "/export/statements.csv").startswith("key,title,")


def test_zip_holds_every_table_as_served_alone(demo: Flask, client: Any, db: Database) -> None:
    v = version(db)
    for excel in ("", "?excel=1"):
        response = fetch(client, f"/export.zip{excel}", "application/zip")
        suffix = "-excel" if excel else ""
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="dissent-archive-v{v}{suffix}.zip"'
        )
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            assert names == [f"{table.name}.csv" for table in TABLES] + ["datapackage.json"]
            for table in TABLES:
                alone = fetch(client, f"/export/{table.name}.csv{excel}")
                slug = table.name.replace("_", "-")
                assert archive.read(f"{table.name}.csv") == alone.get_data(), table.name
                assert alone.headers["Content-Disposition"] == (
                    f'inline; filename="dissent-archive-{slug}-v{v}{suffix}.csv"'
                )
            package = json.loads(archive.read("datapackage.json"))
        assert package["dataset_version"] == v
        with db.session() as session:
            assert package["chain_head"] == chain_head(session)
        assert package["created"] == response.headers["X-Export-Time"]
        assert [r["path"] for r in package["resources"]] == [f"{t.name}.csv" for t in TABLES]


def test_datapackage_validates_beside_its_tables(
    demo: Flask, client: Any, db: Database, tmp_path: Path
) -> None:
    frictionless = pytest.importorskip("frictionless")
    response = client.get("/export/datapackage.json")
    assert response.status_code == 200 and response.is_json
    check_headers(response, "/export/datapackage.json")
    package = response.get_json()
    assert package["dataset_version"] == version(db)
    with db.session() as session:
        assert package["chain_head"] == chain_head(session)
    assert response.headers["X-Dataset-Version"] == str(version(db))
    assert response.headers["X-Export-Time"] == package["created"]
    folder = tmp_path / "package"
    folder.mkdir()
    (folder / "datapackage.json").write_bytes(response.get_data())
    for resource in package["resources"]:
        (folder / resource["path"]).write_bytes(fetch(client, f"/export/{resource['path']}").data)
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_codebook_csv_describes_every_column(demo: Flask, client: Any) -> None:
    found = rows(get_csv(client, "/export/codebook.csv"))
    expected = [(t.name, c.name, c.description) for t in TABLES for c in t.columns]
    assert [(r["table"], r["column"], r["description"]) for r in found] == expected


# Errors, headers and the stream's session.


@pytest.mark.parametrize(
    "url",
    [
        "/statements/no-such-key.csv",
        "/people/no-such-key.csv",
        "/districts/no/such/key.csv",
        "/districts/ru/no-such.csv",
        "/sources/no-such-key.csv",
        "/export/no-such-table.csv",
        "/export/Statements.csv",
    ],
)
def test_unknown_keys_and_tables_are_not_found(demo: Flask, client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    check_headers(response, url)


def test_stream_closes_its_session(bulk: Flask, client: Any) -> None:
    pool = get_db(bulk).engine.pool
    for url in ("/statements.csv", "/search.csv?q=bulkword", "/export.zip"):
        response = client.get(url)
        response.get_data()
        assert pool.checkedout() == 0, url  # type: ignore[attr-defined]
        response.close()
    dropped = client.get("/export.zip")  # read no further than its first chunk
    dropped.close()
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_search_csv_keeps_what_ranking_had_no_time_for(
    bulk: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_date = keys(get_csv(client, "/search.csv?q=bulkword&sort=date"))
    ranked = keys(get_csv(client, "/search.csv?q=bulkword"))
    partial = search._ranked

    def out_of_time(*args: Any) -> list[str]:
        return partial(*args)[:7]

    monkeypatch.setattr(search, "_ranked", out_of_time)
    found = keys(get_csv(client, "/search.csv?q=bulkword"))
    assert found[:7] == ranked[:7]
    assert found[7:] == [key for key in by_date if key not in ranked[:7]]


def test_search_too_slow_is_said_not_an_empty_file(
    demo: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(*args: Any) -> set[int]:
        raise TimedOut

    monkeypatch.setattr(search, "matching", too_slow)
    response = client.get("/search.csv?q=putin")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "took too long" in response.get_data(as_text=True)
    check_headers(response, "/search.csv?q=putin")
    twin = client.get("/search.json?q=putin")
    assert twin.status_code == 400
    assert twin.get_json()["results"] == []
    assert any("took too long" in message for message in twin.get_json()["messages"])
    assert client.get("/search?q=putin").status_code == 200  # the page shows the note


def test_a_refused_search_is_a_client_error_from_both_twins(
    demo: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search over the budget of postings answered 503, inviting retries."""
    monkeypatch.setattr(search, "query_cost", lambda *args: 10**12)
    for twin in ("csv", "json"):
        response = client.get(f"/search.{twin}?q=putin")
        assert response.status_code == 400, (twin, response.status_code)
        assert "read too much of the index" in response.get_data(as_text=True)
