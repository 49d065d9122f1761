"""The benchmark's report: ratios that read the same way for every unit, and percentiles."""

from __future__ import annotations

from archive.bench.report import Row, percentile


def test_ratios_say_better_above_one_whichever_way_the_unit_goes() -> None:
    assert Row("rate", 50.0, 100.0, "rows/s").ratio() == 0.5
    assert Row("latency", 50.0, 100.0, "ms").ratio() == 2.0
    assert Row("memory", 200.0, 100.0, "MiB").ratio() == 0.5
    assert Row("missing", 1.0, None, "ms").cells()[2:4] == ["n/a", "n/a"]


def test_percentile_interpolates() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0], 95) == 1.95
    assert percentile([], 95) == 0.0
