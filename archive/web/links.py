"""Links from one record's page to another's, and to the web, for templates and the twins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app, request, url_for

from archive.web.listing import Page, sort_order

WEB_SCHEMES = ("http", "https")
# Stands for the key in the one URL that record_urls builds (letters: quoting leaves them).
KEY_SLOT = "KEYSLOT"


def person_url(key: str) -> str:
    """Return the URL of a person's page."""
    return f"{request.script_root}/people/{quote(key, safe='')}"


def district_url(key: str) -> str:
    """Return the URL of a district's page (its key's slashes stay: /districts/ru/spb)."""
    return f"{request.script_root}/districts/{quote(key, safe='/')}"


def statement_url(key: str, external: bool = False) -> str:
    """Return the URL of a statement's page, absolute when ``external``."""
    return url_for("statements.show", key=key, _external=external)


def statement_ref(statement: Any) -> dict[str, Any]:
    """Return how a JSON twin names a statement: key, URL, title, date and kind."""
    return {
        "key": statement.key,
        "url": statement_url(statement.key),
        "title": statement.title,
        "date": statement.date,
        "kind": statement.kind,
    }


def source_url(key: str, external: bool = False) -> str:
    """Return the URL of a source's page, absolute when ``external``."""
    return url_for("sources.show", key=key, _external=external)


def record_urls(endpoint: str) -> Callable[[str], str]:
    """Return a function giving the absolute URL of a record's page by its key, exactly as
    ``url_for(endpoint, key=key, _external=True)`` would, for one url_for in all.

    A CSV twin writes a URL in every row: routing each key again would cost more than the rest
    of the row. The key is quoted as the route's converter quotes it (the default and path
    converters quote alike, keeping slashes).
    """
    before, _slot, after = url_for(endpoint, key=KEY_SLOT, _external=True).rpartition(KEY_SLOT)
    url_map = current_app.url_map
    quoted = url_map.converters["default"](url_map).to_url
    return lambda key: f"{before}{quoted(key)}{after}"


def web_url(url: str | None) -> str | None:
    """Return a URL fit for a link out of the archive (http or https), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None


def list_twins(endpoint: str, page: Page, orders: Mapping[str, Any]) -> dict[str, str]:
    """Return the URLs of a list page's twins, for its template: ``json_url`` (the same page)
    and ``csv_url`` (every row), in the sort of ``page``."""
    sort = page.sort if page.sort != sort_order({}, orders) else None
    number = page.number if page.number > 1 else None
    return {
        "json_url": url_for(endpoint, fmt="json", sort=sort, page=number),
        "csv_url": url_for(endpoint, fmt="csv", sort=sort),
    }


def template_helpers() -> dict[str, Any]:
    """Give every template the link helpers (functions of a key, called as it renders)."""
    return {
        "person_url": person_url,
        "district_url": district_url,
        "statement_url": statement_url,
        "source_url": source_url,
        "web_url": web_url,
    }
