"""The benchmark's report: its rows (our figure, the anchor's, the ratio), the table, the header.

Every ratio is written so that above 1 means the archive does better than its anchor: ours /
anchor for rates (records, statements, rows or requests per second) and anchor / ours for
latencies and memory, where less is better.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import whoosh

RATIO_NOTE = (
    "ratio: ours / anchor for rates, anchor / ours for latencies and memory, "
    "so above 1 means the archive beats its anchor and below 1 that it is slower or larger"
)
UNITS_LOWER_IS_BETTER = ("ms", "MiB")


@dataclass
class Row:
    """One line of the table: what is measured, our figure, the anchor's, and notes."""

    measure: str
    ours: float | None
    anchor: float | None
    unit: str
    notes: str = ""

    def ratio(self) -> float | None:
        """Return how many times better than the anchor we do (above 1: better)."""
        if not self.ours or not self.anchor:
            return None
        if self.unit in UNITS_LOWER_IS_BETTER:
            return self.anchor / self.ours
        return self.ours / self.anchor

    def cells(self) -> list[str]:
        """Return the row's cells as text."""
        ratio = self.ratio()
        return [
            self.measure,
            figure(self.ours, self.unit),
            figure(self.anchor, self.unit),
            "n/a" if ratio is None else f"{ratio:.2f}",
            self.notes,
        ]


def figure(value: float | None, unit: str) -> str:
    """Return a figure with its unit, to a sensible precision."""
    if value is None:
        return "n/a"
    if unit in ("ms", "MiB", "s"):
        return f"{value:,.2f} {unit}" if value < 10 else f"{value:,.1f} {unit}"
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def percentile(values: Sequence[float], percent: float) -> float:
    """Return a percentile of the values, interpolating between the nearest two."""
    if not values:
        return 0.0
    ordered = sorted(values)
    place = percent / 100 * (len(ordered) - 1)
    low = int(place)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (place - low)


def table(rows: Iterable[Row]) -> str:
    """Return the rows as one Markdown table (pipes in cells escaped)."""
    head = ["measure", "ours", "anchor", "ratio (>1: ours better)", "notes"]
    lines = [_line(head), _line(["---", "---:", "---:", "---:", "---"])]
    lines += [_line(row.cells()) for row in rows]
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def machine() -> dict[str, str]:
    """Return the CPU model, the cores and the memory of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    return {"cpu": model, "cores": str(os.cpu_count() or 1), "memory": memory}


def versions() -> dict[str, str]:
    """Return the versions of Python, SQLite, Whoosh, gunicorn and the sqlite3 tool."""
    return {
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Whoosh": whoosh.versionstring(),
        "gunicorn": metadata.version("gunicorn"),
        "sqlite3 tool": sqlite3_tool_version() or "absent",
    }


def sqlite3_tool_version() -> str | None:
    """Return the version of the sqlite3 command-line tool, or None when it is absent."""
    tool = shutil.which("sqlite3")
    if tool is None:
        return None
    done = subprocess.run([tool, "-version"], capture_output=True, text=True, check=False)
    return done.stdout.split(" ")[0].strip() or None


def document(
    settings: dict[str, str], counts: dict[str, int], rows: Sequence[Row], seconds: float
) -> str:
    """Return the whole report in Markdown: what was run, on what, the table and the time."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    head = machine()
    lines = [
        "# Benchmark",
        "",
        f"- run: {', '.join(f'{k} {v}' for k, v in settings.items())}",
        f"- corpus: {', '.join(f'{v:,} {k}' for k, v in counts.items())}",
        f"- date: {now}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in versions().items())}",
        f"- machine: {head['cpu']}, {head['cores']} cores, {head['memory']} of memory",
        f"- {RATIO_NOTE}",
        "",
        table(rows),
        "",
        f"Total time of the run: {seconds:,.1f} s.",
        "",
    ]
    return "\n".join(lines)
