"""Highlighting: a snippet of a text around its first match, with every matched word marked,
by the terms the query compiler noted (:class:`archive.index.compiler.Terms`)."""

from __future__ import annotations

import re

from archive.index import analysis
from archive.index.compiler import Terms


def highlight(text: str | None, terms: Terms, width: int = 240) -> list[tuple[str, bool]]:
    """Return a snippet of ``text`` around its first match, as (piece, matched) pairs.

    The snippet is about ``width`` characters (a third of them before the first match, or the
    text's start when nothing matches), widened to whole words; pieces follow one another
    as in the text, a matched piece being one word that matches ``terms`` (the word, its stem,
    its name key or a prefix of it), and "… " or " …" marks where the text was cut. An empty
    list for no text.
    """
    if not text:
        return []
    pieces: list[tuple[str, bool]] = []
    first = None
    position = 0
    for match in re.finditer(analysis.WORD_RE, text):
        word = match.group()
        if _matches(word, terms):
            if first is None:
                first = match.start()
            pieces.append((text[position : match.start()], False))
            pieces.append((word, True))
            position = match.end()
    pieces.append((text[position:], False))
    start = max(0, (first or 0) - width // 3)
    end = start + width
    # Cut at spaces, so that no word (matched or not) is cut in two.
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = len(text) if end >= len(text) or text.find(" ", end) < 0 else text.find(" ", end)
    return _window(pieces, start, end)


def _matches(word: str, terms: Terms) -> bool:
    folded = analysis.fold(word)
    return (
        folded in terms.words
        or analysis.stem(folded) in terms.stems
        or analysis.name_key(word) in terms.names
        or any(folded.startswith(prefix) for prefix in terms.prefixes)
    )


def _window(pieces: list[tuple[str, bool]], start: int, end: int) -> list[tuple[str, bool]]:
    """Cut the pieces to the characters start..end, marking cuts with an ellipsis."""
    window: list[tuple[str, bool]] = []
    offset = 0
    for piece, matched in pieces:
        low, high = max(start - offset, 0), min(end - offset, len(piece))
        if low < high:
            window.append((piece[low:high], matched))
        offset += len(piece)
    if start > 0 and window:
        window.insert(0, ("… ", False))
    if offset > end:
        window.append((" …", False))
    return window
