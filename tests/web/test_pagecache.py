"""The pages kept per dataset version: what is kept, for how long, and what goes first."""

from __future__ import annotations

from archive.web.pagecache import PageCache

V1 = ("sqlite:///archive.db", 1)
V2 = ("sqlite:///archive.db", 2)


def test_least_recently_used_page_goes_first() -> None:
    cache = PageCache(max_chars=30, max_page_chars=10)
    for url in ("/a", "/b", "/c"):
        cache.put(V1, url, url * 5)  # 10 characters each: the cache is full
    assert cache.get(V1, "/a") == "/a" * 5  # /a is used again, so /b is now the oldest
    cache.put(V1, "/d", "/d" * 5)
    assert cache.get(V1, "/b") is None
    assert [cache.get(V1, url) for url in ("/a", "/c", "/d")] == ["/a" * 5, "/c" * 5, "/d" * 5]
    cache.put(V1, "/e", "/e" * 5)  # /a, /c and /d were just read in that order: /a goes
    assert cache.get(V1, "/a") is None
    assert cache.get(V1, "/c") == "/c" * 5


def test_pages_are_dropped_beyond_their_characters_not_their_number() -> None:
    cache = PageCache(max_chars=30, max_page_chars=30)
    cache.put(V1, "/small", "x")
    cache.put(V1, "/large", "y" * 29)
    assert cache.get(V1, "/small") == "x"
    cache.put(V1, "/other", "z")  # 31 characters: the large page, the oldest, goes
    assert cache.get(V1, "/large") is None
    assert cache.get(V1, "/small") == "x" and cache.get(V1, "/other") == "z"


def test_page_over_the_limit_is_not_kept_and_pushes_nothing_out() -> None:
    cache = PageCache(max_chars=30, max_page_chars=10)
    cache.put(V1, "/kept", "k" * 10)
    cache.put(V1, "/huge", "h" * 11)
    assert cache.get(V1, "/huge") is None
    assert cache.get(V1, "/kept") == "k" * 10


def test_new_version_drops_the_pages_of_the_old() -> None:
    cache = PageCache()
    cache.put(V1, "/a", "old")
    assert cache.get(V2, "/a") is None  # asked at a newer version: not served
    assert cache.get(V1, "/a") == "old"
    cache.put(V2, "/b", "new")
    assert cache.get(V1, "/a") is None
    assert cache.get(V2, "/a") is None
    assert cache.get(V2, "/b") == "new"
    other = ("postgresql://elsewhere/archive", 2)
    assert cache.get(other, "/b") is None  # the same version of another database
