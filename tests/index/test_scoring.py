"""Ranking: the scores a search computes from whole posting lists are Whoosh's own BM25F scores,
on an index of several segments with deleted documents."""

from __future__ import annotations

import json
import math
import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from archive.bench import corpus
from archive.data.database import Database
from archive.data.models import Statement
from archive.importing import importer
from archive.index import analysis, generations, querylang
from archive.index.compiler import Compiler
from archive.index.scoring import query_scores
from archive.web.context import get_index


@pytest.fixture
def segmented(app: Flask, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app whose index has several segments (a parallel rebuild) and deletions (changes
    applied in place afterwards)."""
    path = tmp_path / "corpus.json"
    corpus.write(path, "S", seed=5, statements=60)
    monkeypatch.setattr(generations, "PARALLEL_FROM", 20)
    importer.run(db, [path])
    changed = json.loads(path.read_text("utf-8"))
    statements = changed["statements"][:3]
    for statement in statements:
        statement["title"] += " revised"
    path.write_text(json.dumps({"statements": statements}), "utf-8")
    importer.run(db, [path])
    with get_index(app).open().reader() as reader:
        assert len(reader.leaf_readers()) > 1
        assert reader.has_deletions()
    return app


def _queries(db: Database) -> list[str]:
    """A word, a phrase, a prefix, a name and a combination, from the corpus's own text."""
    with db.session() as session:
        text = session.scalars(select(Statement.text).order_by(Statement.key)).first() or ""
    words = [w for w in re.findall(analysis.WORD_RE, text) if len(w) > 4]
    content = [w for w in words if not analysis.is_stop_word(analysis.fold(w))]
    every = re.findall(analysis.WORD_RE, text)
    pair = next(f"{a} {b}" for a, b in pairwise(every) if len(a) > 4 and len(b) > 4)
    return [
        content[0],
        f'"{pair}"',
        f"{content[1][:4]}*",
        f"{content[0]} {content[2]}",
        f"{content[0]} -kind:appeal",
        f'title:"{pair}" OR {content[3]}',
    ]


def test_scores_of_whole_posting_lists_equal_whooshs(segmented: Flask, db: Database) -> None:
    index = get_index(segmented)
    searcher = index.searcher()
    live = set(searcher.reader().all_doc_ids())
    plain = index.open().searcher()  # Whoosh's own BM25F, reading lengths from the file
    try:
        for text in _queries(db):
            parsed = querylang.parse(text)
            query = Compiler(searcher, parsed, math.inf).query()
            assert query is not None, text
            scored = query_scores(searcher, query, math.inf)
            assert scored is not None, text
            ours = {
                docnum: float(scored.score[docnum])
                for docnum in np.flatnonzero(scored.found).tolist()
                if docnum in live
            }
            for whooshs in (searcher, plain):
                theirs = {hit.docnum: hit.score for hit in whooshs.search(query, limit=None)}
                assert theirs, text
                assert ours.keys() == theirs.keys(), text
                for docnum, score in theirs.items():
                    assert ours[docnum] == pytest.approx(score, rel=1e-9), text
    finally:
        plain.close()
