"""The benchmark command runs end to end at a tiny size and writes every row (never timings)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

SEARCHES = (
    "common word",
    "name in the other script",
    "phrase",
    "field, district and dates",
    "prefix",
    "no hits",
)
PAGES = ("home page", "search page", "statement page")
MEASURES = (
    "import",
    "index build",
    *(f"search p50: {kind}" for kind in SEARCHES),
    "search p50: whole mix",
    "search p95: whole mix",
    "export signatures table",
    "export signatures table, memory",
    "export zip",
    "export zip, memory",
    "candidates list",
    *(f"{page}, {what}" for page in PAGES for what in ("throughput", "p95 latency")),
    "statement pages during abuse",
    "statement pages during sustained abuse",
)
FIGURE = re.compile(r"^[\d,]+(\.\d+)? (records/s|statements/s|rows/s|req/s|ms|MiB)$")
EXPORT_ANCHORS = ("export signatures table", "export zip")


def _table(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith(("| measure ", "| --- ")):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_bench_writes_every_row_with_ours_the_anchor_and_a_ratio(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "bench.md"
    arguments = ["bench", "--size", "S", "--statements", "30", "--seed", "3"]
    arguments += ["--duration", "1", "--workers", "2"]
    arguments += ["--workdir", str(tmp_path / "work"), "--out", str(out)]
    result = runner.invoke(args=arguments)
    assert result.exit_code == 0, result.output
    markdown = out.read_text(encoding="utf-8")
    assert markdown in result.output
    for heading in ("size S, seed 3", "30 statements", "Python ", "SQLite ", "Whoosh ", "cores"):
        assert heading in markdown
    assert "Total time of the run:" in markdown
    rows = _table(markdown)
    assert list(rows) == list(MEASURES)
    tool = shutil.which("sqlite3") is not None
    for measure, (_name, ours, anchor, ratio, notes) in rows.items():
        assert FIGURE.match(ours), (measure, ours)
        if not tool and measure.startswith(EXPORT_ANCHORS):
            assert (anchor, ratio) == ("n/a", "n/a") and "sqlite3" in notes
            continue
        assert FIGURE.match(anchor), (measure, anchor)
        assert re.fullmatch(r"\d+\.\d\d", ratio), (measure, ratio)
    assert "the same rows" in rows["export signatures table"][4] or not tool
