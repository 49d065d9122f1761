"""One source per URL: the key under which two spellings of one address compare equal.

Two URLs name the same source when they are equal after the standard normalisation of
RFC 3986 section 6 (``url-normalize``): scheme and host in lower case (an international host
in its IDNA form), the scheme's default port dropped, percent-encoding in upper case and only
where needed (``café`` and ``caf%C3%A9`` alike), the path's dot segments removed, an empty path
written ``/``. The URL is stored as given; beside it, unique, the SHA-256 of its normalised
form (a fixed 64 characters, which any database can index whatever the URL's length).
"""

from __future__ import annotations

import hashlib
import unicodedata

from url_normalize import url_normalize


def normalised(url: str) -> str:
    """Return an absolute URL in its normalised form (the text first in Unicode NFC, so that
    composed and decomposed letters meet). Raises ValueError for an empty URL, which the import
    never stores."""
    result = url_normalize(unicodedata.normalize("NFC", url))
    if not result:
        raise ValueError("an empty URL has no normalised form")
    return result


def url_key(url: str | None) -> str | None:
    """Return the key under which a URL is unique: the SHA-256 (64 hexadecimal digits) of its
    normalised form; None for no URL."""
    if url is None:
        return None
    return hashlib.sha256(normalised(url).encode("utf-8")).hexdigest()
