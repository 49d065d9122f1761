"""The index's quick path of analysis writes exactly the postings Whoosh's own path writes."""

from __future__ import annotations

import pytest
from whoosh.formats import Positions

from archive.index import analysis
from archive.index.schema import SCHEMA

TEXTS = [
    "Мы, депутаты муниципального округа, требуем отставки президента; и это — не шутка.",
    "We, the undersigned, demand the resignation of the President. We've waited long enough!",
    "Ксения Торстрем\nXenia Torstrem\nKseniya Torstream-Ёлкина O'Brien д’Артаньян",
    "  ,,, — … ",
    "",
    "Ёжик ёлка ЁЛКА Café CAFÉ naïve 2022 9-й округ Санкт-Петербург resign resigned the the the",
]


def _slow_path(analyzer: object, text: str) -> dict[str, list[int]]:
    """Positions the way Whoosh finds them: tokenizer, filter, one Token per word."""
    found: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True, mode="index"):  # type: ignore[operator]
        found.setdefault(token.text, []).append(token.pos)
    return found


@pytest.mark.parametrize(
    "analyzer",
    [analysis.text_analyzer(), analysis.plain_analyzer(), analysis.name_analyzer()],
    ids=["text", "plain", "name"],
)
@pytest.mark.parametrize("text", TEXTS)
def test_quick_positions_equal_the_tokenizers(analyzer: analysis.WordAnalyzer, text: str) -> None:
    assert analyzer.positions(text) == _slow_path(analyzer, text)


@pytest.mark.parametrize("field_name", ["title", "text", "words", "names", "districts", "source"])
def test_every_text_field_writes_the_postings_of_plain_positions(field_name: str) -> None:
    field = SCHEMA[field_name]
    assert isinstance(field.format, analysis.IndexedPositions)
    plain = Positions(field_boost=field.format.field_boost)
    for text in TEXTS:
        ours = sorted(field.format.word_values(text, field.analyzer, mode="index"))
        whooshs = sorted(plain.word_values(text, field.analyzer, mode="index"))
        assert ours == whooshs
    # a text that yields words at all, so that the comparison above is not of two empty lists
    assert list(field.format.word_values(TEXTS[2], field.analyzer, mode="index"))


def test_a_dropped_word_keeps_its_place() -> None:
    positions = analysis.text_analyzer().positions("the resignation of the president")
    assert positions == {"resign": [1], "presid": [4]}


def test_positions_decode_as_whoosh_decodes_them() -> None:
    ours, whooshs = analysis.IndexedPositions(), Positions()
    for positions in ([0], [3, 4, 9], list(range(0, 5000, 7))):
        encoded = ours.encode(positions)
        assert encoded == whooshs.encode(positions)
        assert ours.decode_positions(encoded) == whooshs.decode_positions(encoded) == positions
