"""Every route of the app: unknown keys give 404, pages answer 200, all with security headers."""

from __future__ import annotations

import json
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, PathConverter, Rule
from werkzeug.test import TestResponse

from archive.web import SECURITY_HEADERS

MISSING_KEY = "no-such-key"
MISSING_PATH = "no/such/key"
MAX_CRAWL = 400  # pages fetched by the crawl of the demo site, at most
MAX_QUERIES_PER_PATH = 4  # links to one path with different query strings that are followed
# The argument of a page's rule that names its twin: the URL's extension.
FORMAT = "fmt"
# A URL of every kind of record page and list (each also has a .json and a .csv twin).
RECORD_URLS = [
    "/statements",
    "/statements/a-statement",
    "/people",
    "/people/a-person",
    "/districts",
    "/districts/ru/spb",
    "/sources",
    "/sources/a-source",
]
# The sources a policy may allow: the site's own files, nothing, and data: images.
OWN_SOURCES = {"'self'", "'none'"}


def get_rules(app: Flask) -> list[Rule]:
    """Return the app's GET rules other than static files, in a stable order."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and "GET" in (rule.methods or set())
    ]
    return sorted(rules, key=lambda rule: rule.rule)


def missing_arguments(rule: Rule) -> dict[str, str]:
    """Return values for a rule's arguments naming nothing: a path for path converters (the
    format of a twin names no record, and is left out)."""
    return {
        name: MISSING_PATH if isinstance(rule._converters[name], PathConverter) else MISSING_KEY
        for name in rule.arguments
        if name != FORMAT
    }


def build(app: Flask, rule: Rule, values: dict[str, str]) -> str:
    """Return the URL of a rule with values for its arguments."""
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        url: str = adapter.build(rule.endpoint, values, force_external=False)
        return url


def build_all(app: Flask, rule: Rule, values: dict[str, str]) -> list[str]:
    """Return the URLs of a rule with values for its arguments, one for each format of a
    twins' rule (/statements.json and /statements.csv), else the one URL."""
    converter = rule._converters.get(FORMAT)
    if converter is None:
        return [build(app, rule, values)]
    assert isinstance(converter, AnyConverter), rule.rule
    return [build(app, rule, {**values, FORMAT: fmt}) for fmt in sorted(converter.items)]


def policy(header: str) -> dict[str, list[str]]:
    """Parse a Content-Security-Policy into its directives and their sources."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def check_headers(response: TestResponse, url: str) -> None:
    """Assert that a response carries every security header and a strict policy."""
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{url}: header {name}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Referrer-Policy"), url
    directives = policy(response.headers["Content-Security-Policy"])
    assert directives.get("default-src") == ["'self'"], url
    script_src = directives.get("script-src", directives["default-src"])
    assert set(script_src) <= OWN_SOURCES, f"{url}: script-src {script_src}"
    assert directives.get("object-src") == ["'none'"], url
    for name, sources in directives.items():
        others = set(sources) - OWN_SOURCES - {"data:"}
        assert not others, f"{url}: {name} allows {others}"
        if name != "img-src":
            assert "data:" not in sources, f"{url}: {name} allows data:"


class PageChecker(HTMLParser):
    """Collects inline scripts and styles, style attributes, event handlers and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value for name, value in attrs}
        if tag == "script" and not names.get("src"):
            self.problems.append("an inline <script> element")
        if tag == "style":
            self.problems.append("a <style> element")
        if "style" in names:
            self.problems.append(f'a style="" attribute on <{tag}>')
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute {name}= on <{tag}>")
        for name in ("href", "src", "action"):
            value = names.get(name)
            if value:
                self.links.append(value)


def check_html(response: TestResponse, url: str) -> list[str]:
    """Assert that an HTML page has no inline script, style or handler; return its links."""
    checker = PageChecker()
    checker.feed(response.get_data(as_text=True))
    checker.close()
    assert not checker.problems, f"{url}: {sorted(set(checker.problems))}"
    return checker.links


def is_html(response: TestResponse) -> bool:
    """Tell whether a response is an HTML page."""
    return response.mimetype == "text/html"


def check_error_body(response: TestResponse, url: str) -> None:
    """Assert that an error response is an HTML page or a JSON object, not bare text."""
    if response.is_json:
        body: Any = response.get_json()
        assert isinstance(body, dict) and body, f"{url}: JSON error body {body!r}"
    else:
        assert is_html(response), f"{url}: error body of type {response.mimetype}"
        text = response.get_data(as_text=True)
        assert text.lstrip().lower().startswith("<!doctype html"), url
        check_html(response, url)


def urls_without_keys(app: Flask) -> list[str]:
    """Return the URL of every page that names no record (with each format of a twins' rule);
    not the redirects of a URL with a trailing slash (tests/web/test_formats.py)."""
    return [
        url
        for rule in get_rules(app)
        if not missing_arguments(rule) and not rule.endpoint.endswith("_slash")
        for url in build_all(app, rule, {})
    ]


def test_record_routes_exist(demo: Flask) -> None:
    """The walk below covers the record pages, the lists and their twins: one view each."""
    adapter = demo.url_map.bind("localhost")
    for url in RECORD_URLS:
        page, _ = adapter.match(url, method="GET")
        for twin, fmt in ((f"{url}.json", "json"), (f"{url}.csv", "csv")):
            endpoint, values = adapter.match(twin, method="GET")
            assert (endpoint, values[FORMAT]) == (page, fmt), twin


def test_unknown_keys_are_not_found(demo: Flask) -> None:
    """Every rule with a key argument answers 404 with an error page for a key naming nothing."""
    client = demo.test_client()
    checked = []
    for rule in get_rules(demo):
        missing = missing_arguments(rule)
        if not missing:
            continue
        for url in build_all(demo, rule, missing):
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 404, f"{url}: {response.status_code}"
            # A page's URL with a trailing slash redirects to the page, which answers 404.
            slashed = rule.endpoint.endswith("_slash")
            assert [r.status_code for r in response.history] == ([308] if slashed else [])
            check_headers(response, url)
            check_error_body(response, url)
            if url.endswith(".json"):
                assert response.is_json, f"{url}: the JSON twin's 404 is {response.mimetype}"
            checked.append(url)
    print(f"checked {len(checked)} unknown-key URLs: {checked}")


def test_pages_without_arguments_answer(demo: Flask) -> None:
    """Every rule naming no record answers 200, JSON twins with JSON, pages with clean HTML."""
    client = demo.test_client()
    for url in urls_without_keys(demo):
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        check_headers(response, url)
        if url.endswith(".json"):
            assert response.is_json, f"{url}: {response.mimetype}"
            json.loads(response.get_data(as_text=True))
        elif url.endswith(".csv"):
            assert response.mimetype == "text/csv", f"{url}: {response.mimetype}"
        elif url.endswith(".zip"):
            assert response.mimetype == "application/zip", f"{url}: {response.mimetype}"
        else:
            assert is_html(response), f"{url}: {response.mimetype}"
            check_html(response, url)
        response.close()  # a streamed body holds the request's context until it ends or closes


def test_unknown_url_and_static_file(demo: Flask) -> None:
    """A URL matching no rule and a static file carry the security headers too."""
    client = demo.test_client()
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    check_headers(missing, "/no/such/page")
    check_error_body(missing, "/no/such/page")
    with demo.test_request_context():
        static = demo.url_map.bind("localhost").build("static", {"filename": "archive.css"})
    response = client.get(static)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    check_headers(response, static)
    response.close()


def test_a_key_with_a_nul_is_a_bad_request(demo: Flask) -> None:
    """Regression: PostgreSQL refuses a NUL in a compared string, so `/statements/%00` was a
    500 with a traceback there (a 404 on SQLite); every key argument now answers 400."""
    client = demo.test_client()
    for rule in get_rules(demo):
        missing = missing_arguments(rule)
        if not missing:
            continue
        for url in build_all(demo, rule, {name: f"{value}\x00" for name, value in missing.items()}):
            response = client.get(url)
            assert response.status_code == 400, f"{url}: {response.status_code}"
            check_headers(response, url)


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".org", "a..b:5000"])
@pytest.mark.parametrize("path", ["/", "/people", "/people/ksenia-thorstrom.json", "/nowhere"])
def test_a_malformed_host_is_a_bad_request_not_a_server_error(
    demo: Flask, caplog: pytest.LogCaptureFixture, host: str, path: str
) -> None:
    """Werkzeug rejects the host before routing; the error page then built URLs without a URL
    adapter, and every route answered 500 with a traceback in the log."""
    response = demo.test_client().get(path, headers={"Host": host})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<h1>400 Bad Request</h1>" in body and 'href="/"' in body
    check_headers(response, path)
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


def test_every_linked_page_answers(demo: Flask) -> None:
    """Crawl the demo site from every page without arguments: each link answers 200, cleanly."""
    client = demo.test_client()
    start = urls_without_keys(demo)
    queue = deque(start)
    seen = set(start)
    queries: dict[str, int] = {}
    fetched = 0
    while queue and fetched < MAX_CRAWL:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        assert response.status_code == 200, f"{url}: {response.status_code}"
        check_headers(response, url)
        if not is_html(response):
            response.close()
            continue
        for link in check_html(response, url):
            absolute = urljoin(f"http://localhost{url}", link)
            parts = urlsplit(absolute)
            if parts.scheme != "http" or parts.netloc != "localhost" or absolute in seen:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen:
                continue
            if parts.query:
                queries[parts.path] = queries.get(parts.path, 0) + 1
                if queries[parts.path] > MAX_QUERIES_PER_PATH:
                    continue
            seen.add(target)
            queue.append(target)
    assert fetched > len(start)
    print(f"crawled {fetched} pages")
