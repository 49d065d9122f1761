"""Links between the pages: a record's URL built once per answer is url_for's, key by key."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from archive.web.links import KEY_SLOT, record_urls

# Keys the importer would refuse but a URL must still carry: quoting, slashes, other scripts,
# characters of a query or fragment, and the slot record_urls fills itself.
KEYS = [
    "2022-09-municipal-deputies",
    "ru/spb/kolpino",
    "with space",
    "ключ",
    "a?b#c%d&e=f+g",
    "dots.json",
    "'quoted'@(x)!*$,;:",
    KEY_SLOT,
    f"x{KEY_SLOT}y/{KEY_SLOT}",
]


@pytest.mark.parametrize(
    "endpoint", ["statements.show", "people.show", "sources.show", "districts.show"]
)
@pytest.mark.parametrize("base", ["http://localhost/", "https://archive.example:8443/mount/"])
def test_record_urls_are_url_fors(app: Flask, endpoint: str, base: str) -> None:
    with app.test_request_context("/", base_url=base):
        url = record_urls(endpoint)
        for key in KEYS:
            assert url(key) == url_for(endpoint, key=key, _external=True), key
