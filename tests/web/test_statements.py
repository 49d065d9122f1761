"""The statements list, each statement's page, and their JSON twins, on the demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.data.database import Database
from archive.data.revisions import chain_head, dataset_version
from archive.web import statements as statement_views
from tests.web.pages import (
    Node,
    check_page,
    get_json,
    get_page,
    import_records,
    recorded_sql,
    tables_read,
)

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"
HOSTILE = "<script>alert(1)</script>"


def version(db: Database) -> int:
    """Return the archive's dataset version."""
    with db.session() as session:
        return dataset_version(session)


def head(db: Database) -> str | None:
    """Return the archive's chain head."""
    with db.session() as session:
        return chain_head(session)


def section(page: Node, heading_id: str) -> Node:
    """Return the section labelled by the heading with ``heading_id``."""
    (found,) = page.find_all("section", **{"aria-labelledby": heading_id})
    return found


def list_keys(page: Node) -> list[str]:
    """Return the keys of the statements a list page shows, in order."""
    items = page.with_class("li", "record-item")
    return [item.find_all("a")[0].attrs["href"].rsplit("/", 1)[1] for item in items]  # type: ignore[union-attr]


def test_resignation_page_shows_date_count_and_links(demo: Any, client: Any) -> None:
    page = get_page(client, f"/statements/{RESIGNATION}")
    assert page.find_all("h1")[0].text() == "Municipal deputies demand Vladimir Putin's resignation"
    (facts,) = page.with_class("dl", "facts")
    assert facts.terms() == {
        "Date": "September 2022",
        "Kind": "statement",
        "Addressed to": "Vladimir Putin",
        "Demands": "resignation",
        "Signatories": "1 named, 18 reported",
        "Districts": "Moscow, Saint Petersburg, Kolpino",
    }
    assert ("/districts/ru/spb/kolpino", "Kolpino") in facts.links()
    (table,) = page.with_class("table", "signatories")
    (row,) = table.find_all("tbody")[0].find_all("tr")
    assert row.links()[:2] == [
        ("/people/ksenia-thorstrom", "Ksenia Thorstrom"),
        ("/districts/ru/spb", "Saint Petersburg"),
    ]
    assert "municipal deputy" in row.text() and "signed" in row.text()
    assert not row.find_all("del")


def test_sources_form_one_chain_in_citation_order(demo: Any, client: Any) -> None:
    page = get_page(client, f"/statements/{RESIGNATION}")
    (chain,) = section(page, "sources-heading").with_class("ol", "chain")
    items = chain.find_all("li")
    assert [item.links()[0] for item in items] == [
        ("/sources/inkl-mirror-2022-09-putin-quit", "inkl"),
        ("/sources/mirror-2022-09-putin-quit", "Daily Mirror"),
        ("/sources/dailymail-2022-09-municipal-deputies", "Daily Mail"),
        ("/sources/twitter-torstrem-2022-09", "Twitter"),
    ]
    assert "8a9d7545833a0f5ee1951baa7ed967869d518866afca39b39bfca23e2a5affff" in items[0].text()


def test_chain_shows_sources_the_statement_reaches_only_through_others(
    demo: Any, client: Any
) -> None:
    page = get_page(client, f"/statements/{SMOLNINSKOYE}")
    (chain,) = section(page, "sources-heading").with_class("ol", "chain")
    texts = [item.text() for item in chain.find_all("li")]
    assert [text.split(":")[0].split(",")[0] for text in texts] == [
        "Daily Mirror",
        "Daily Mail",
        "Twitter",
    ]
    assert "not listed by the statement" not in texts[0]
    assert "not listed by the statement" in texts[1]


def test_cite_block_has_permanent_url_dataset_version_and_chain_head(
    demo: Any, client: Any, db: Database
) -> None:
    page = get_page(client, f"/statements/{RESIGNATION}")
    plain, bibtex = (pre.raw_text() for pre in section(page, "cite-heading").find_all("pre"))
    url = f"http://localhost/statements/{RESIGNATION}"
    number, chain = version(db), head(db)
    assert number > 0 and chain is not None and len(chain) == 64
    edition = f"Dissent archive, dataset version {number}, chain head {chain}"
    assert plain == (
        "Ksenia Thorstrom et al. (September 2022). Municipal deputies demand Vladimir Putin's "
        f"resignation [statement]. {edition}. {url}"
    )
    assert bibtex.startswith(f"@misc{{{RESIGNATION},\n")
    assert "  author = {{Ksenia Thorstrom} and others},\n" in bibtex
    assert "  year = {2022},\n  month = sep,\n" in bibtex
    assert f"  howpublished = {{{edition}}},\n" in bibtex
    assert f"  version = {{{number}}},\n" in bibtex
    assert bibtex.endswith(f"  url = {{{url}}}\n}}")
    assert f"Dataset version {number}." in page.find_all("footer")[0].text()


def test_bibtex_escapes_tex_specials(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    title = r"100% & more_{x} #1 \o/"
    import_records(db, tmp_path, statements=[{"key": "tex", "title": title, "kind": "other"}])
    page = get_page(client, "/statements/tex")
    bibtex = section(page, "cite-heading").find_all("pre")[1].raw_text()
    assert r"  title = {100\% \& more\_\{x\} \#1 \textbackslash{}o/}," in bibtex
    assert "author" not in bibtex and "year" not in bibtex  # no signatories, no date


def test_original_text_by_default_and_a_translation_by_link(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    paragraphs = ["Мы требуем отставки Владимира Путина.", "Путин должен уйти."]
    original = "\n\n".join(paragraphs)
    import_records(
        db, tmp_path, statements=[{"key": RESIGNATION, "language": "ru", "text": original}]
    )
    default = section(get_page(client, f"/statements/{RESIGNATION}"), "text-heading")
    (shown,) = default.with_class("div", "statement-text")
    assert shown.attrs["lang"] == "ru"
    assert [p.text() for p in shown.find_all("p")] == paragraphs
    (nav,) = default.find_all("nav")
    links = nav.find_all("a")
    assert [(a.attrs["href"], a.text()) for a in links] == [
        (f"/statements/{RESIGNATION}", "Original (ru)"),
        (f"/statements/{RESIGNATION}?lang=en", "Translation (en)"),
    ]
    assert [a.attrs.get("aria-current") for a in links] == ["true", None]
    english = section(get_page(client, f"/statements/{RESIGNATION}?lang=en"), "text-heading")
    (shown,) = english.with_class("div", "statement-text")
    assert shown.attrs["lang"] == "en"
    assert shown.text().startswith("We believe that the actions of President Vladimir Putin")
    assert [a.attrs.get("aria-current") for a in english.find_all("a")[:2]] == [None, "true"]
    assert ("/sources/dailymail-2022-09-municipal-deputies", "Daily Mail") in english.links()


def test_unknown_language_shows_the_original(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    import_records(db, tmp_path, statements=[{"key": KUNIN, "language": "ru", "text": "Текст"}])
    for lang in ("xx", "", "%00", "<b>"):
        text = section(get_page(client, f"/statements/{KUNIN}?lang={lang}"), "text-heading")
        assert text.with_class("div", "statement-text")[0].text() == "Текст"


def test_smolninskoye_shows_the_summons_that_followed(demo: Any, client: Any) -> None:
    page = get_page(client, f"/statements/{SMOLNINSKOYE}")
    (event,) = section(page, "events-heading").find_all("li")
    assert event.text().startswith("September 2022 · summoned")
    assert "summoned for police interrogations" in event.text()
    assert event.links() == [("/sources/mirror-2022-09-putin-quit", "Daily Mirror")]
    assert page.with_class("dd", "signatory-count")[0].text() == "no named signatories"
    assert not section(get_page(client, f"/statements/{KUNIN}"), "signatories-heading").find_all(
        "del"
    )


def test_withdrawn_signature_is_kept_struck_through(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    retraction = {
        "key": "retraction-2022-10",
        "kind": "news",
        "publisher": "Fontanka",
        "url": "https://example.org/retraction",
    }
    statement = {
        "key": "letter-with-withdrawal",
        "title": "An open letter",
        "kind": "open_letter",
        "date": "2022-09-20",
        "signatures": [
            {"person": {"name": "Ivan Petrov"}, "role": "deputy", "district": "ru/spb/kolpino"},
            {
                "person": "ksenia-thorstrom",
                "stance": "withdrawn",
                "withdrawn": "2022-10-03",
                "withdrawal_source": "retraction-2022-10",
            },
        ],
    }
    import_records(db, tmp_path, sources=[retraction], statements=[statement])
    page = get_page(client, "/statements/letter-with-withdrawal")
    kept, withdrawn = page.with_class("table", "signatories")[0].find_all("tbody")[0].find_all("tr")
    assert not kept.find_all("del") and "withdrawn" not in kept.attrs.get("class", "")  # type: ignore[operator]
    assert kept.links()[:2] == [
        ("/people/ivan-petrov", "Ivan Petrov"),
        ("/districts/ru/spb/kolpino", "Kolpino"),
    ]
    assert withdrawn.attrs["class"] == "withdrawn"
    (struck,) = withdrawn.find_all("del")
    assert struck.links() == [("/people/ksenia-thorstrom", "Ksenia Thorstrom")]
    assert "withdrawn on 3 October 2022, according to Fontanka" in withdrawn.text()
    assert ("/sources/retraction-2022-10", "Fontanka") in withdrawn.links()
    assert page.with_class("dd", "signatory-count")[0].text() == "2 signatories"
    plain = section(page, "cite-heading").find_all("pre")[0].raw_text()
    assert plain.startswith("Ivan Petrov (20 September 2022).")  # the withdrawn one is no author


def test_json_twin_holds_record_signatures_events_and_version(
    demo: Any, client: Any, db: Database
) -> None:
    data = get_json(client, f"/statements/{RESIGNATION}.json")
    assert data["key"] == RESIGNATION
    assert data["url"] == f"http://localhost/statements/{RESIGNATION}"
    assert (data["date"], data["reported_signatories"], data["demands"]) == (
        "2022-09",
        18,
        ["resignation"],
    )
    assert data["districts"] == ["ru/moscow", "ru/spb", "ru/spb/kolpino"]
    assert data["translations"][0]["language"] == "en"
    assert data["dataset_version"] == version(db)
    assert data["chain_head"] == head(db)
    (signature,) = data["signatures"]
    assert signature["person"] == "ksenia-thorstrom"
    assert signature["person_name"] == "Ksenia Thorstrom"
    assert (signature["district"], signature["stance"], signature["position"]) == (
        "ru/spb",
        "signed",
        1,
    )
    assert data["events"] == []
    (event,) = get_json(client, f"/statements/{SMOLNINSKOYE}.json")["events"]
    assert (event["key"], event["kind"], event["statement"]) == (
        "2022-09-smolninskoye-councillors-summoned",
        "summoned",
        SMOLNINSKOYE,
    )


def test_page_links_its_json_twin(demo: Any, client: Any) -> None:
    page = get_page(client, f"/statements/{RESIGNATION}")
    href = f"/statements/{RESIGNATION}.json"
    assert page.find_all("link", rel="alternate", type="application/json")[0].attrs["href"] == href
    assert (href, "JSON") in page.with_class("p", "twins")[0].links()


@pytest.mark.parametrize("key", ["no-such-statement", "no.such", "%3Cscript%3E"])
def test_unknown_key_is_not_found_in_both_forms(demo: Any, client: Any, key: str) -> None:
    response = client.get(f"/statements/{key}")
    assert response.status_code == 404
    check_page(response.get_data(as_text=True))
    data = get_json(client, f"/statements/{key}.json", status=404)
    assert data["error"] == "not found"


def test_list_shows_every_statement_newest_first(demo: Any, client: Any) -> None:
    page = get_page(client, "/statements")
    assert list_keys(page) == [KUNIN, RESIGNATION, SMOLNINSKOYE]  # same month by key; undated last
    kunin, resignation, smolninskoye = (i.text() for i in page.with_class("li", "record-item"))
    assert resignation.endswith(
        "September 2022 · statement · Moscow, Saint Petersburg, Kolpino · 1 named, 18 reported"
    )
    assert kunin.endswith("1 signatory")
    assert smolninskoye.endswith("undated · appeal · Smolninskoye · no named signatories")
    assert page.find_all("link", rel="alternate")[0].attrs["href"] == "/statements.json"
    assert ("/statements.json", "JSON") in page.with_class("p", "twins")[0].links()


def sixty_statements(db: Database, folder: Path) -> list[str]:
    """Import 60 statements dated one a month after the demo's; return their keys newest first."""
    statements = [
        {
            "key": f"letter-{n:02}",
            "title": f"Letter {60 - n:02}",
            "kind": "open_letter",
            "date": f"{2023 + n // 12}-{n % 12 + 1:02}",
        }
        for n in range(60)
    ]
    import_records(db, folder, statements=statements)
    return [f"letter-{n:02}" for n in reversed(range(60))]


def test_list_paginates_and_sorts(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    newest = sixty_statements(db, tmp_path)
    first, second = get_page(client, "/statements"), get_page(client, "/statements?page=2")
    assert list_keys(first) == newest[:50]
    assert list_keys(second) == [*newest[50:], KUNIN, RESIGNATION, SMOLNINSKOYE]
    assert "Page 1 of 2" in first.text() and "Page 2 of 2" in second.text()
    assert first.find_all("a", rel="next")[0].attrs["href"] == "/statements?sort=date&page=2"
    assert not second.find_all("a", rel="next")
    assert second.find_all("ol")[0].attrs["start"] == "51"
    by_title = list_keys(get_page(client, "/statements?sort=title"))
    assert by_title[:3] == ["letter-59", "letter-58", "letter-57"]  # Letter 01, 02, 03
    by_key = get_json(client, "/statements.json?sort=key&page=2")
    assert [item["key"] for item in by_key["items"]] == [
        *[f"letter-{n:02}" for n in range(48, 60)],
        SMOLNINSKOYE,
    ]
    assert (by_key["page"], by_key["pages"], by_key["total"], by_key["sort"]) == (2, 2, 63, "key")
    title_page = get_page(client, "/statements?sort=title&page=2")
    assert title_page.find_all("strong", **{"aria-current": "true"})[0].text() == "Title"
    assert ("/statements.json?sort=title&page=2", "JSON") in title_page.links()


def test_json_list_describes_each_statement(demo: Any, client: Any) -> None:
    data = get_json(client, "/statements.json")
    assert (data["page"], data["pages"], data["per_page"], data["total"]) == (1, 1, 50, 3)
    item = next(item for item in data["items"] if item["key"] == RESIGNATION)
    assert item == {
        "key": RESIGNATION,
        "url": f"/statements/{RESIGNATION}",
        "title": "Municipal deputies demand Vladimir Putin's resignation",
        "date": "2022-09",
        "kind": "statement",
        "districts": ["ru/moscow", "ru/spb", "ru/spb/kolpino"],
        "named_signatories": 1,
        "reported_signatories": 18,
    }


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=-1", "page=0", "page=1.5", "page=" + "9" * 50, "sort=xyz", "sort=", "page="],
)
def test_bad_page_or_sort_answers_the_first_page(demo: Any, client: Any, query: str) -> None:
    page = get_page(client, f"/statements?{query}")
    assert list_keys(page) == [KUNIN, RESIGNATION, SMOLNINSKOYE]
    data = get_json(client, f"/statements.json?{query}")
    assert (data["page"], data["sort"], len(data["items"])) == (1, "date", 3)


def test_page_past_the_end_is_empty_but_fine(demo: Any, client: Any) -> None:
    page = get_page(client, "/statements?page=7")
    assert list_keys(page) == []
    assert "Page 7 of 1" in page.text()
    assert page.find_all("a", rel="prev")[0].attrs["href"] == "/statements?sort=date&page=6"


def test_record_text_is_escaped(demo: Any, client: Any, db: Database, tmp_path: Path) -> None:
    hostile = f"{HOSTILE} & <b>bold</b>"
    statement = {
        "key": "hostile",
        "title": hostile,
        "kind": "other",
        "addressee": hostile,
        "summary": hostile,
        "language": "ru",
        "text": hostile,
        "translations": [{"language": "en", "text": hostile, "translator": hostile}],
        "signatures": [{"person": {"name": f"{HOSTILE} Name"}, "role": hostile}],
    }
    import_records(db, tmp_path, statements=[statement])
    for url in ("/statements/hostile", "/statements/hostile?lang=en", "/statements?sort=title"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert "<script>" not in text and "<b>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text, url
        check_page(text)
    assert get_json(client, "/statements/hostile.json")["title"] == hostile


def petition(key: str, signers: int) -> dict[str, Any]:
    """Return a petition in Russian with an English translation and numbered signatories, each
    from a district of their own and with a source of their own."""
    return {
        "key": key,
        "title": f"Petition {key}",
        "kind": "petition",
        "date": "2022-10",
        "language": "ru",
        "text": "Мы требуем.",
        "translations": [{"language": "en", "text": "We demand."}],
        "signatures": [
            {
                "person": {"name": f"Signer {n:02}"},
                "district": f"ru/town-{n:02}",
                "sources": [f"source-{n:02}"],
            }
            for n in range(1, signers + 1)
        ],
    }


def petition_records(key: str, signers: int) -> dict[str, list[Any]]:
    """Return a petition with what its signatures refer to: districts and sources."""
    districts = [
        {"key": f"ru/town-{n:02}", "name": f"Town {n:02}", "kind": "town", "parent": "ru"}
        for n in range(1, signers + 1)
    ]
    sources = [
        {"key": f"source-{n:02}", "kind": "news", "publisher": f"Paper {n:02}"}
        for n in range(1, signers + 1)
    ]
    return {"districts": districts, "sources": sources, "statements": [petition(key, signers)]}


def signer_names(page: Node) -> list[str]:
    """Return the names in the signatories table of a statement's page, in order."""
    tables = page.with_class("table", "signatories")
    rows = tables[0].find_all("tbody")[0].find_all("tr") if tables else []
    return [row.find_all("td")[0].text() for row in rows]


def test_long_signatory_list_is_paged_with_its_total(
    demo: Any, client: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the page listed every signature of a petition, thousands for some."""
    monkeypatch.setattr(statement_views, "SIGNATORIES_PER_PAGE", 2)
    import_records(db, tmp_path, **petition_records("long", 5))
    first = get_page(client, "/statements/long")
    assert signer_names(first) == ["Signer 01", "Signer 02"]
    assert first.with_class("dd", "signatory-count")[0].text() == "5 signatories"
    signatories = section(first, "signatories-heading")
    (count,) = signatories.with_class("p", "result-count")
    assert count.text().startswith("Signatories 1 to 2 of 5, in the statement's order.")
    assert ("/statements/long.csv", "CSV") in count.links()
    assert "Page 1 of 3" in signatories.text()
    (following,) = signatories.find_all("a", rel="next")
    assert following.attrs["href"] == "/statements/long?signatories_page=2"
    last = get_page(client, "/statements/long?signatories_page=3")
    assert signer_names(last) == ["Signer 05"]
    assert "Signatories 5 to 5 of 5" in section(last, "signatories-heading").text()
    assert last.with_class("dd", "signatory-count")[0].text() == "5 signatories"
    cite = section(last, "cite-heading").find_all("pre")[0].raw_text()
    assert cite.startswith("Signer 01 et al. (October 2022).")  # whatever the page shown
    past = get_page(client, "/statements/long?signatories_page=9")
    assert signer_names(past) == []
    assert "No signatories on this page; there are 5." in past.text()
    assert signer_names(get_page(client, "/statements/long?signatories_page=abc")) == [
        "Signer 01",
        "Signer 02",
    ]


def test_signatory_pages_keep_the_text_version_shown(
    demo: Any, client: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statement_views, "SIGNATORIES_PER_PAGE", 2)
    import_records(db, tmp_path, **petition_records("long", 3))
    english = get_page(client, "/statements/long?lang=en")
    (following,) = section(english, "signatories-heading").find_all("a", rel="next")
    assert following.attrs["href"] == "/statements/long?lang=en&signatories_page=2"
    second = get_page(client, "/statements/long?lang=en&signatories_page=2")
    assert signer_names(second) == ["Signer 03"]
    assert section(second, "text-heading").with_class("div", "statement-text")[0].text() == (
        "We demand."
    )
    original = get_page(client, "/statements/long")
    (following,) = section(original, "signatories-heading").find_all("a", rel="next")
    assert "lang=" not in (following.attrs["href"] or "")


def test_twins_hold_every_signature_of_a_paged_list(
    demo: Any, client: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statement_views, "SIGNATORIES_PER_PAGE", 2)
    import_records(db, tmp_path, **petition_records("long", 5))
    data = get_json(client, "/statements/long.json?signatories_page=2")
    assert [s["person_name"] for s in data["signatures"]] == [f"Signer {n:02}" for n in range(1, 6)]
    assert [s["sources"] for s in data["signatures"]][-1] == ["source-05"]
    lines = client.get("/statements/long.csv").get_data(as_text=True).splitlines()
    assert len(lines) == 1 + 5
    assert [line.split(",")[4] for line in lines[1:]] == [f"Signer {n:02}" for n in range(1, 6)]


def test_statement_page_queries_do_not_grow_with_its_signatures(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    """Each signature's person, district and sources come with the page's few queries."""
    import_records(db, tmp_path, **petition_records("short", 2))
    import_records(db, tmp_path, **petition_records("long", 40))
    with recorded_sql(db) as short:
        get_page(client, "/statements/short")
    with recorded_sql(db) as long:
        assert len(signer_names(get_page(client, "/statements/long"))) == 40
    assert len(long) == len(short) <= 20


def test_statement_page_again_reads_only_the_dataset_version(
    demo: Any, client: Any, db: Database, tmp_path: Path
) -> None:
    first = get_page(client, f"/statements/{RESIGNATION}")
    with recorded_sql(db) as statements:
        again = get_page(client, f"/statements/{RESIGNATION}")
    assert tables_read(statements) == [{"revisions"}]
    assert again.find_all("h1")[0].text() == first.find_all("h1")[0].text()
    changed = {"key": RESIGNATION, "title": "A title changed since", "kind": "statement"}
    import_records(db, tmp_path, statements=[changed])
    after = get_page(client, f"/statements/{RESIGNATION}")
    assert after.find_all("h1")[0].text() == "A title changed since"
    assert f"Dataset version {version(db)}." in after.find_all("footer")[0].text()
