"""The README documents what the code does: settings, CSV tables, the import example."""

from __future__ import annotations

import re
from pathlib import Path

from archive import config
from archive.data.database import Database
from archive.importing import importer
from archive.importing.fields import KINDS
from archive.importing.tables import TABLES
from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    after = README.split(f"<!-- {marker} -->", 1)[1]
    match = re.search(r"```\w*\n(.*?)```", after, re.S)
    assert match is not None
    return match.group(1)


def test_every_setting_is_documented_with_its_default() -> None:
    for name, (default, _meaning) in config.SETTINGS.items():
        assert f"| `{name}` | `{default}` |" in README or f"| `{name}` | {default} |" in README


def test_csv_tables_are_documented_as_they_are() -> None:
    documented = README.split("<!-- csv-tables -->", 1)[1].split("\n\n", 1)[0]
    for table in TABLES:
        columns = ", ".join(f"`{c.name}`" + ("*" if c.required else "") for c in table.columns)
        assert f"| `{table.name}.csv` | {columns} |" in documented
    assert documented.count(".csv` |") == len(TABLES)


def test_csv_tables_cover_every_field_of_every_kind() -> None:
    for kind, fields in KINDS.items():
        covered: set[str] = set()
        for table in TABLES:
            if table.kind != kind:
                continue
            covered.update(c.field for c in table.columns if c.field)
            if table.part == "names":
                covered.update({"names", "aliases"})
            elif table.part:
                covered.add(table.part)
        assert covered == set(fields), kind


def test_import_example_imports_and_reimports_unchanged(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "example.json"
    path.write_text(_block_after("import-example"), encoding="utf-8")
    first = importer.run(db, [path])
    assert first.tally.changed() == 11
    second = importer.run(db, [path])
    assert second.tally.changed() == 0
    assert second.version_after == first.version_after


def test_ci_runs_the_readme_test_command() -> None:
    command = _block_after("test-command").strip()
    assert command.endswith("pytest")
    # The whole suite twice: on SQLite, then on PostgreSQL.
    runs = [run.strip() for run in command.split("&&") if run.strip().endswith("pytest")]
    assert runs == [
        ".venv/bin/pytest",
        f"{TEST_DATABASE_URL}=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/pytest",
    ]
    assert "test-command" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
