"""The archive in a real browser: a reader's path through it, and records full of XSS payloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, Response, expect

from tests.web.browser.conftest import IMG, SCRIPT, Recorded, Server, screenshot, xss

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
RESIGNATION_TITLE = "Municipal deputies demand Vladimir Putin's resignation"
INKL = "inkl-mirror-2022-09-putin-quit"
# The XSS records' pages and the pages listing them; all but the home page have a .json twin.
XSS_PAGES = [
    "/statements/xss-statement",
    "/people/xss-person",
    "/districts/xss",
    "/sources/xss-source",
    "/search?q=alert",
    "/statements",
    "/people",
    "/districts",
    "/sources",
]
# The labels of the XSS fields each record page must show (each label is inside its payloads).
XSS_FIELDS = {
    "/statements/xss-statement": [
        "statement title",
        "summary",
        "addressee",
        "original text",
        "district name",
        "person name",
        "role",
        "note",
        "publisher",
        "source title",
        "author",
        "event description",
    ],
    "/people/xss-person": [
        "person name",
        "person name ru",
        "person alias",
        "person description",
        "statement title",
        "role",
        "event description",
    ],
    "/districts/xss": ["district name", "district name ru", "district alias", "statement title"],
    "/sources/xss-source": ["source title", "publisher", "author", "capture text"],
}
# A link that switches a statement's text to another language, found by what it says.
ENGLISH = re.compile(r"\bEnglish\b|\(en\)|^\s*en\s*$", re.IGNORECASE)
RUSSIAN = re.compile(r"\bRussian\b|Русский|\boriginal\b|\(ru\)|^\s*ru\s*$", re.IGNORECASE)


def visit(page: Page, server: Server, path: str) -> Response:
    """Open a path of the server and return its response, failing on anything but 200."""
    response = page.goto(server.url + path)
    assert response is not None, path
    assert response.status == 200, f"{path}: {response.status}"
    return response


def follow(page: Page, link: Locator) -> Response:
    """Click a link and return the response of the page it opens, failing on anything but 200."""
    with page.expect_response(
        lambda response: (
            response.request.is_navigation_request() and response.frame == page.main_frame
        )
    ) as opened:
        link.click()
    response = opened.value
    assert response.status == 200, f"{response.url}: {response.status}"
    page.wait_for_load_state()
    return response


def assert_only_loopback(recorded: Recorded, server: Server) -> None:
    """Assert that the browser asked nothing of any host but the archive's own server."""
    assert recorded.requests, "the browser made no request"
    elsewhere = [
        url
        for url in recorded.requests
        if urlsplit(url).scheme != "data"
        and (urlsplit(url).scheme != "http" or urlsplit(url).netloc != server.netloc)
    ]
    assert not elsewhere, f"requests to other hosts: {elsewhere}"


def strings(value: Any) -> Iterator[str]:
    """Yield every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def statement_text(page: Page) -> str:
    """Return the visible text of the statement page's main part."""
    return page.inner_text("main")


def test_reader_path(server: Server, page: Page, recorded: Recorded) -> None:
    """Search for a misspelt name, read the statement, its signatory, a district and a source."""
    visit(page, server, "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "home")

    searchbox = page.get_by_role("searchbox").first
    searchbox.fill("Torstrem")
    searchbox.press("Enter")
    page.wait_for_url(re.compile(r"/search\?(.*&)?q=Torstrem"))
    result = page.get_by_role("link", name=RESIGNATION_TITLE, exact=True)
    expect(result).to_be_visible()
    screenshot(page, "search")

    follow(page, result)
    page.wait_for_url(re.compile(rf"/statements/{RESIGNATION}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(RESIGNATION_TITLE)
    screenshot(page, "statement")

    follow(page, page.get_by_role("link", name="Ksenia Thorstrom", exact=True).first)
    page.wait_for_url(re.compile(r"/people/ksenia-thorstrom$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ksenia Thorstrom")
    expect(page.get_by_role("link", name=RESIGNATION_TITLE).first).to_be_visible()
    screenshot(page, "person")

    page.go_back()
    page.wait_for_url(re.compile(rf"/statements/{RESIGNATION}$"))
    follow(page, page.get_by_role("link", name="Kolpino", exact=True).first)
    page.wait_for_url(re.compile(r"/districts/ru/spb/kolpino$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kolpino")
    expect(page.get_by_role("link", name=RESIGNATION_TITLE).first).to_be_visible()
    screenshot(page, "district")

    visit(page, server, f"/sources/{INKL}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Russian politicians turn on")
    expect(page.get_by_text("David Clark").first).to_be_visible()
    screenshot(page, "source")

    assert not recorded.dialogs
    assert not recorded.failures
    assert_only_loopback(recorded, server)


def test_switch_translation(server: Server, page: Page, recorded: Recorded) -> None:
    """A statement with an original and a translation switches between them by a link."""
    visit(page, server, "/statements/xss-statement")
    before = statement_text(page)
    showing_original = "original text" in before
    assert showing_original != ("translation text" in before), "shows both texts, or neither"
    other = ENGLISH if showing_original else RUSSIAN
    switch = page.locator("main").get_by_role("link", name=other).first
    follow(page, switch)
    expect(page.locator("main").get_by_role("link", name=other).first).to_have_attribute(
        "aria-current", "true"
    )
    after = statement_text(page)
    assert after != before
    wanted, unwanted = (
        ("translation text", "original text")
        if showing_original
        else ("original text", "translation text")
    )
    assert wanted in after and unwanted not in after
    screenshot(page, "statement-other-language")
    assert not recorded.dialogs
    assert not recorded.failures
    assert_only_loopback(recorded, server)


@pytest.mark.parametrize("path", ["/", *XSS_PAGES])
def test_xss_page_shows_payload_as_text(
    server: Server, page: Page, recorded: Recorded, path: str
) -> None:
    """The payloads in the XSS records show as text: no dialog, no element made of them."""
    response = visit(page, server, path)
    assert response.headers["content-type"].startswith("text/html")
    source = response.text().lower()
    assert "<script" not in source, f"{path}: a <script> element in the page"
    assert "<img src=x" not in source, f"{path}: an <img> made of a payload"
    body = page.inner_text("body")
    assert SCRIPT in body, f"{path}: the payload is not shown as text"
    for label in XSS_FIELDS.get(path, []):
        assert xss(label) in body, f"{path}: the {label} is not shown as text"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("[onerror]").count() == 0
    assert page.locator("script").count() == 0
    assert not recorded.dialogs, f"{path}: dialogs {recorded.dialogs}"
    assert not recorded.failures, f"{path}: {recorded.failures}"
    assert_only_loopback(recorded, server)


@pytest.mark.parametrize("path", XSS_PAGES)
def test_xss_json_twin(server: Server, page: Page, recorded: Recorded, path: str) -> None:
    """The JSON twins of the XSS pages hold the payloads as plain strings and raise no dialog."""
    parts = urlsplit(path)
    twin = f"{parts.path}.json" + (f"?{parts.query}" if parts.query else "")
    response = visit(page, server, twin)
    assert response.headers["content-type"].startswith("application/json"), twin
    found = list(strings(response.json()))
    assert any(SCRIPT in text for text in found), f"{twin}: the payload is missing"
    assert any(IMG in text for text in found), f"{twin}: the attribute payload is missing"
    assert page.locator('img[src="x"]').count() == 0
    assert not recorded.dialogs, f"{twin}: dialogs {recorded.dialogs}"
    assert not recorded.failures, f"{twin}: {recorded.failures}"
    assert_only_loopback(recorded, server)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/statements/{RESIGNATION}",
        "/people/ksenia-thorstrom",
        "/districts/ru/spb",
        "/sources/inkl-mirror-2022-09-putin-quit",
        "/search?q=Putin",
    ],
)
def test_pages_fit_a_phone_screen(server: Server, browser: Browser, path: str) -> None:
    """On a 360-pixel-wide screen no page scrolls sideways (text wraps, tables scroll)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    phone = context.new_page()
    response = phone.goto(server.url + path)
    assert response is not None and response.status == 200
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if path == f"/statements/{RESIGNATION}":
        screenshot(phone, "statement-phone")
    context.close()
    assert overflow <= 0, f"{path} is {overflow} pixels wider than the screen"
