"""One source per URL: the spellings of one address share a key; other addresses do not."""

from __future__ import annotations

import pytest

from archive.data.urls import normalised, url_key

SAME_ADDRESS = (
    "https://news.example.org/letter-café",
    "https://news.example.org/letter-caf%C3%A9",
    "https://news.example.org/letter-caf%c3%a9",
    "https://NEWS.Example.org/letter-café",
    "HTTPS://news.example.org:443/letter-café",
    "https://news.example.org/letter-cafe\u0301",  # é as e and a combining accent
    "https://news.example.org/a/../letter-café",
)
OTHER_ADDRESSES = (
    "http://news.example.org/letter-café",  # another scheme
    "https://news.example.org:8443/letter-café",  # another port
    "https://news.example.org/letter-cafe",
    "https://news.example.org/Letter-café",  # paths are case-sensitive
    "https://news.example.org/letter-café?page=2",
)


def test_every_spelling_of_one_address_has_one_key() -> None:
    keys = {url_key(url) for url in SAME_ADDRESS}
    assert len(keys) == 1
    assert normalised(SAME_ADDRESS[0]) == "https://news.example.org/letter-caf%C3%A9"


@pytest.mark.parametrize("url", OTHER_ADDRESSES)
def test_another_address_has_another_key(url: str) -> None:
    assert url_key(url) != url_key(SAME_ADDRESS[0])


def test_a_key_is_64_hexadecimal_digits_whatever_the_url_s_length() -> None:
    long = "https://пример.рф/" + "путь/" * 399
    key = url_key(long)
    assert key is not None and len(key) == 64 and int(key, 16) >= 0
    assert url_key(None) is None


def test_an_empty_url_has_no_normalised_form() -> None:
    with pytest.raises(ValueError, match="empty URL"):
        normalised("")
