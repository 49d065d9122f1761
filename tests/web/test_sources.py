"""The sources list, each source's page with its chain and capture check, and their JSON twins."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from archive.data.database import Database
from archive.data.models import Source
from tests.web.pages import Node, check_page, get_json, get_page, import_records

INKL = "inkl-mirror-2022-09-putin-quit"
MIRROR = "mirror-2022-09-putin-quit"
MAIL = "dailymail-2022-09-municipal-deputies"
TWITTER = "twitter-torstrem-2022-09"
RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
INKL_SHA256 = "8a9d7545833a0f5ee1951baa7ed967869d518866afca39b39bfca23e2a5affff"
HOSTILE = "<script>alert(1)</script>"


def section(page: Node, heading_id: str) -> Node:
    """Return the section labelled by the heading with ``heading_id``."""
    (found,) = page.find_all("section", **{"aria-labelledby": heading_id})
    return found


def chain(page: Node) -> list[str]:
    """Return the chain of citation a source page shows: publishers, this one in stars."""
    items = section(page, "chain-heading").with_class("ol", "chain")[0].find_all("li")
    return [
        f"*{item.find_all('strong')[0].text()}*" if item.find_all("strong") else item.links()[0][1]
        for item in items
    ]


def set_source(db: Database, key: str, **values: Any) -> None:
    """Change a stored source directly in the database, behind the importer's back."""
    with db.writing() as session:
        session.execute(update(Source).where(Source.key == key).values(**values))


def list_keys(page: Node) -> list[str]:
    """Return the keys of the sources a list page shows, in order."""
    items = page.with_class("li", "record-item")
    return [item.links()[0][0].rsplit("/", 1)[1] for item in items]


def test_inkl_page_shows_what_it_is_and_its_chain(demo: Any, client: Any) -> None:
    page = get_page(client, f"/sources/{INKL}")
    title = "Russian politicians turn on Vladimir Putin and tell him to quit for 'harming future'"
    assert page.find_all("h1")[0].text() == title
    assert page.with_class("dl", "facts")[0].terms() == {
        "Publisher": "inkl",
        "Author": "David Clark",
        "Title": title,
        "Kind": "news",
        "Key": INKL,
    }
    assert chain(page) == ["*inkl*", "Daily Mirror", "Daily Mail", "Twitter"]
    assert chain(get_page(client, f"/sources/{TWITTER}")) == [
        "inkl",
        "Daily Mirror",
        "Daily Mail",
        "*Twitter*",
    ]
    assert chain(get_page(client, f"/sources/{MAIL}")) == [
        "inkl",
        "Daily Mirror",
        "*Daily Mail*",
        "Twitter",
    ]


def test_capture_is_shown_with_its_digest_and_matches(demo: Any, client: Any) -> None:
    capture = section(get_page(client, f"/sources/{INKL}"), "capture-heading")
    (check,) = capture.with_class("p", "capture-check")
    assert INKL_SHA256 in check.text()
    assert "matches" in check.text() and "does not match" not in check.text()
    (text,) = capture.with_class("pre", "capture")
    assert hashlib.sha256(text.raw_text().encode("utf-8")).hexdigest() == INKL_SHA256
    assert get_json(client, f"/sources/{INKL}.json")["capture_matches"] is True


def test_tampered_capture_does_not_match(demo: Any, client: Any, db: Database) -> None:
    tampered = "Russian politicians praise Vladimir Putin."
    set_source(db, INKL, capture_text=tampered)
    capture = section(get_page(client, f"/sources/{INKL}"), "capture-heading")
    assert "does not match" in capture.with_class("p", "capture-check")[0].text()
    digests = capture.with_class("dl", "digests")[0].terms()
    assert digests == {
        "Stored SHA-256": INKL_SHA256,
        "SHA-256 of the text now": hashlib.sha256(tampered.encode("utf-8")).hexdigest(),
    }
    assert capture.with_class("pre", "capture")[0].raw_text() == tampered
    assert get_json(client, f"/sources/{INKL}.json")["capture_matches"] is False


def test_capture_starting_with_a_newline_keeps_it(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    text = "\nA text whose first line is empty.\n"
    import_records(db, tmp_path, sources=[{"key": "blank", "kind": "other", "capture_text": text}])
    capture = section(get_page(client, "/sources/blank"), "capture-heading")
    assert capture.with_class("pre", "capture")[0].raw_text() == text
    assert "matches" in capture.with_class("p", "capture-check")[0].text()


def verified(client: Any, key: str) -> tuple[str, Any]:
    """Return what a source's page and JSON twin say of its capture's last fixity check."""
    capture = section(get_page(client, f"/sources/{key}"), "capture-heading")
    (said,) = capture.with_class("p", "fixity-check")
    return said.text(), get_json(client, f"/sources/{key}.json")["capture_verified"]


def test_source_page_says_when_its_capture_was_last_verified(
    demo: Any, client: Any, runner: Any, db: Database, tmp_path: Path
) -> None:
    said, shown = verified(client, INKL)
    assert "Not yet verified" in said and shown is None
    assert runner.invoke(args=["verify"]).exit_code == 0
    said, shown = verified(client, INKL)
    assert shown == {"check": 1, "finished": shown["finished"], "matched": True}
    assert said.startswith("Last verified by fixity check 1 (archive verify), finished ")
    assert said.endswith(" UTC: the capture matched its SHA-256.")
    assert shown["finished"][:16].replace("T", " ") in said

    set_source(db, INKL, capture_text="Praise.")
    assert runner.invoke(args=["verify"]).exit_code == 1
    said, shown = verified(client, INKL)
    assert said.endswith("the capture did not match its SHA-256.")
    assert (shown["check"], shown["matched"]) == (2, False)

    # Changed since the newest check: that check saw another capture.
    again = {"key": INKL, "kind": "news", "capture_text": "A capture taken again."}
    import_records(db, tmp_path, sources=[again])
    said, shown = verified(client, INKL)
    assert said.endswith("the source has changed since, so it was not verified in this form.")
    assert (shown["check"], shown["matched"]) == (2, None)


def test_source_without_capture_says_so(demo: Any, client: Any) -> None:
    capture = section(get_page(client, f"/sources/{TWITTER}"), "capture-heading")
    assert capture.text() == "Captured text No text of this source was captured."
    assert get_json(client, f"/sources/{TWITTER}.json")["capture_matches"] is None


def test_a_source_without_capture_was_never_verified(demo: Any, client: Any, runner: Any) -> None:
    assert runner.invoke(args=["verify"]).exit_code == 0
    assert get_json(client, f"/sources/{TWITTER}.json")["capture_verified"] is None


def test_records_citing_a_source(demo: Any, client: Any) -> None:
    citing = section(get_page(client, f"/sources/{MIRROR}"), "citing-heading")
    statements, signatures, events = citing.find_all("ul")
    assert [href for href, _ in statements.links()] == [
        f"/statements/{KUNIN}",
        f"/statements/{RESIGNATION}",
        "/statements/smolninskoye-councillors-call-for-putin-treason-charges",
    ]
    assert signatures.links() == [
        ("/people/kunin-vasily-evgenievich", "Kunin Vasily Evgenievich"),
        (
            f"/statements/{KUNIN}",
            "St Petersburg councillor calls for Vladimir Putin to be impeached for treason",
        ),
        ("/people/ksenia-thorstrom", "Ksenia Thorstrom"),
        (f"/statements/{RESIGNATION}", "Municipal deputies demand Vladimir Putin's resignation"),
    ]
    (event,) = events.find_all("li")
    assert event.text().startswith("September 2022 · summoned, after Smolninskoye councillors")


def test_statement_citing_through_its_translation_says_so(demo: Any, client: Any) -> None:
    citing = section(get_page(client, f"/sources/{MAIL}"), "citing-heading")
    items = {item.links()[0][0]: item.text() for item in citing.find_all("li")}
    assert items[f"/statements/{RESIGNATION}"].endswith("as a source; for the translation into en")
    assert len(items) == 2
    data = get_json(client, f"/sources/{MAIL}.json")
    assert data["cited_by"]["statements"] == [KUNIN, RESIGNATION]


def test_withdrawal_source_lists_the_signature(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    retraction = {"key": "retraction", "kind": "news", "publisher": "Fontanka"}
    signature = {
        "person": "ksenia-thorstrom",
        "stance": "withdrawn",
        "withdrawal_source": "retraction",
    }
    statement = {
        "key": "letter",
        "title": "A letter",
        "kind": "open_letter",
        "signatures": [signature],
    }
    import_records(db, tmp_path, sources=[retraction], statements=[statement])
    citing = section(get_page(client, "/sources/retraction"), "citing-heading")
    (item,) = citing.find_all("li")
    assert item.text() == "Ksenia Thorstrom on A letter (the source of the withdrawal)"
    assert get_json(client, "/sources/retraction.json")["cited_by"]["signatures"] == [
        "letter/ksenia-thorstrom"
    ]


def test_json_twin_holds_record_chain_and_citing_records(demo: Any, client: Any) -> None:
    data = get_json(client, f"/sources/{INKL}.json")
    assert (data["key"], data["publisher"], data["cites"]) == (INKL, "inkl", MIRROR)
    assert data["capture_sha256"] == INKL_SHA256
    assert data["page_url"] == f"http://localhost/sources/{INKL}"
    assert data["url"] is None  # the record's own address: the demo gives none
    assert [row["key"] for row in data["chain"]["cites"]] == [MIRROR, MAIL, TWITTER]
    assert data["chain"]["cited_by"] == []
    assert data["cited_by"] == {
        "statements": [RESIGNATION],
        "signatures": [],
        "events": [],
        "totals": {"statements": 1, "signatures": 0, "events": 0},
    }
    twitter = get_json(client, f"/sources/{TWITTER}.json")["chain"]
    assert [(row["key"], row["cites"]) for row in twitter["cited_by"]] == [
        (MAIL, TWITTER),
        (MIRROR, MAIL),
        (INKL, MIRROR),
    ]
    assert twitter["cited_by"][0]["page_url"] == f"/sources/{MAIL}"


def test_web_links_are_http_only_and_leave_nofollow(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    source = {
        "key": "web",
        "kind": "news",
        "publisher": "Example",
        "url": "https://example.org/article?id=1&x=2",
        "archive_url": "https://web.archive.org/web/2022/https://example.org/article",
    }
    import_records(db, tmp_path, sources=[source])
    page = get_page(client, "/sources/web")
    links = page.with_class("a", "web")
    assert [a.attrs["href"] for a in links] == [source["url"], source["archive_url"]]
    assert {a.attrs["rel"] for a in links} == {"noopener noreferrer nofollow"}
    set_source(db, "web", url="javascript:alert(1)", archive_url="data:text/html,x")
    page = get_page(client, "/sources/web")
    assert not page.with_class("a", "web")
    assert "javascript:alert(1)" in page.with_class("dl", "facts")[0].text()  # as text only
    assert not [a for a in page.find_all("a") if "javascript" in (a.attrs["href"] or "")]


def test_a_cycle_of_citations_still_renders(demo: Any, client: Any, db: Database) -> None:
    """The importer refuses cycles; one written behind its back must not loop forever."""
    with db.writing() as session:
        inkl_id = session.scalar(select(Source.id).where(Source.key == INKL))
    set_source(db, TWITTER, cites_id=inkl_id)
    once_round = ["Twitter", "inkl", "Daily Mirror"]
    assert chain(get_page(client, f"/sources/{MAIL}")) == [*once_round, "*Daily Mail*", *once_round]
    statement = get_page(client, f"/statements/{RESIGNATION}")
    (ol,) = section(statement, "sources-heading").with_class("ol", "chain")
    assert [href for href, _ in ol.links()] == [
        f"/sources/{MAIL}",
        f"/sources/{TWITTER}",
        f"/sources/{INKL}",
        f"/sources/{MIRROR}",
    ]


@pytest.mark.parametrize("key", ["no-such-source", "no.such", "%3Cscript%3E"])
def test_unknown_key_is_not_found_in_both_forms(demo: Any, client: Any, key: str) -> None:
    response = client.get(f"/sources/{key}")
    assert response.status_code == 404
    check_page(response.get_data(as_text=True))
    assert get_json(client, f"/sources/{key}.json", status=404)["error"] == "not found"


def test_list_sorts_by_publisher_published_and_key(demo: Any, client: Any) -> None:
    page = get_page(client, "/sources")
    assert list_keys(page) == [MAIL, MIRROR, INKL, TWITTER]
    assert list_keys(get_page(client, "/sources?sort=published")) == [MAIL, MIRROR, TWITTER, INKL]
    assert list_keys(get_page(client, "/sources?sort=key")) == [MAIL, INKL, MIRROR, TWITTER]
    assert page.find_all("link", rel="alternate")[0].attrs["href"] == "/sources.json"
    assert ("/sources.json", "JSON") in page.with_class("p", "twins")[0].links()
    data = get_json(client, "/sources.json?sort=key")
    assert [item["key"] for item in data["items"]] == [MAIL, INKL, MIRROR, TWITTER]
    assert "capture_text" not in data["items"][1]
    assert data["items"][1]["page_url"] == f"/sources/{INKL}"


def test_list_paginates(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    sources = [
        {"key": f"source-{n:02}", "kind": "news", "publisher": f"Publisher {n:02}"}
        for n in range(60)
    ]
    import_records(db, tmp_path, sources=sources)
    first, second = get_page(client, "/sources"), get_page(client, "/sources?page=2")
    shown = list_keys(first) + list_keys(second)
    assert len(list_keys(first)) == 50 and len(shown) == 64 == len(set(shown))
    assert list_keys(second)[-2:] == ["source-59", TWITTER]
    assert "Page 2 of 2" in second.text()
    assert first.find_all("a", rel="next")[0].attrs["href"] == "/sources?sort=publisher&page=2"
    data = get_json(client, "/sources.json?page=2")
    assert [item["key"] for item in data["items"]] == list_keys(second)


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=0", "sort=xyz", "sort=&page="])
def test_bad_page_or_sort_answers_the_first_page(demo: Any, client: Any, query: str) -> None:
    assert list_keys(get_page(client, f"/sources?{query}")) == [MAIL, MIRROR, INKL, TWITTER]
    data = get_json(client, f"/sources.json?{query}")
    assert (data["page"], data["sort"]) == (1, "publisher")


def test_record_text_is_escaped(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    hostile = f"{HOSTILE} & <b>bold</b>"
    source = {
        "key": "hostile",
        "kind": "other",
        "publisher": hostile,
        "author": hostile,
        "title": hostile,
        "capture_text": hostile,
        "cites": INKL,
    }
    statement = {"key": "cites-hostile", "title": "T", "kind": "other", "sources": ["hostile"]}
    import_records(db, tmp_path, sources=[source], statements=[statement])
    urls = ["/sources/hostile", "/sources", f"/sources/{INKL}", "/statements/cites-hostile"]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        assert "<script>" not in text and "<b>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text, url
        check_page(text)
