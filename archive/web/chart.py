"""The home page's timeline: statements per month as bars, laid out for inline SVG.

Only the geometry is computed here; the template draws it, so that every value reaching the
page passes through the template's escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archive.web.filters import MONTHS, date_text

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 630, 16, 180  # the plotting area inside the drawing
MAX_BAR_WIDTH = 48
MAX_TICKS = 12
QUARTERLY_TICKS = 36  # up to this many months, every third month is labelled; beyond, years
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


@dataclass(frozen=True)
class Bar:
    """One month's bar: the month, its count, and where the bar stands."""

    month: str  # "2022-09"
    label: str  # "September 2022"
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A label under the axis: a month or a year, and a year under a month's name."""

    x: float
    label: str
    sub: str = ""


@dataclass(frozen=True)
class Chart:
    """Bars, axis labels and the sizes of the drawing."""

    bars: list[Bar]
    ticks: list[Tick]
    peak: int
    first: str
    last: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def description(self) -> str:
        """Say in words what the chart shows."""
        busiest = max(self.bars, key=lambda bar: (bar.count, bar.month))
        span = f"from {self.first} to {self.last}"
        when = f"in {self.first}" if self.first == self.last else span
        return (
            f"Statements per month {when}; the most in one month was {busiest.count}, "
            f"in {busiest.label}."
        )


def month_label(month: str) -> str:
    """Return "September 2022" for "2022-09"."""
    return date_text(month)


def _index(month: str) -> int:
    """Return a month's number counted from year 0 ("2022-09" -> 2022 * 12 + 8)."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_chart(months: Mapping[str, int]) -> Chart | None:
    """Lay out a bar per month from the first month with statements to the last; None if none."""
    counted = {month: n for month, n in months.items() if n > 0}
    if not counted:
        return None
    first, last = min(counted), max(counted)
    span = _index(last) - _index(first) + 1
    slot = (RIGHT - LEFT) / span
    peak = max(counted.values())
    bars = [
        _bar(month, n, (_index(month) - _index(first)) * slot, slot, peak)
        for month, n in sorted(counted.items())
    ]
    if span > QUARTERLY_TICKS:
        ticks = _year_ticks(first, span, slot)
    else:
        ticks = _month_ticks(first, span, slot, every=1 if span <= MAX_TICKS else 3)
    return Chart(bars, ticks, peak, month_label(first), month_label(last))


def _bar(month: str, count: int, offset: float, slot: float, peak: int) -> Bar:
    """Place one month's bar in its slot: centred, its height in proportion to the peak."""
    width = min(slot * 0.8, MAX_BAR_WIDTH)
    height = (BOTTOM - TOP) * count / peak
    x = LEFT + offset + (slot - width) / 2
    return Bar(
        month,
        month_label(month),
        count,
        round(x, 2),
        round(BOTTOM - height, 2),
        round(width, 2),
        round(height, 2),
    )


def _month_ticks(first: str, span: int, slot: float, every: int) -> list[Tick]:
    """Label every month (or every third), with the year under January and the first label."""
    ticks: list[Tick] = []
    for i in range(span):
        year, number = divmod(_index(first) + i, 12)
        if number % every:
            continue
        sub = str(year) if not ticks or number == 0 else ""
        ticks.append(Tick(round(LEFT + (i + 0.5) * slot, 2), MONTHS[number][:3], sub))
    return ticks


def _year_ticks(first: str, span: int, slot: float) -> list[Tick]:
    """Label the start of every year, or of every second, fifth... year when they are many."""
    start = _index(first)
    years = (start + span - 1) // 12 - start // 12 + 1
    step = next((s for s in YEAR_STEPS if years / s <= MAX_TICKS), YEAR_STEPS[-1])
    ticks = []
    for year in range(start // 12, (start + span - 1) // 12 + 1):
        if year % step == 0 and year * 12 >= start:
            ticks.append(Tick(round(LEFT + (year * 12 - start) * slot, 2), str(year)))
    return ticks
