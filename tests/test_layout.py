"""The walls between the parts of the package: what each part may import.

Each part's ``__init__`` says what it owns and what it may import; this test reads every
module's imports (at any depth, type-checking ones included) and holds those walls. The
benchmark may use anything and nothing may use it; only the web knows Flask.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "archive"
EVERY_PART = {"data", "importing", "identity", "index", "export", "reads", "web", "bench", "top"}
# The parts (or single modules) each part may import, besides itself and libraries; "top" is
# the factory, configuration and command group.
ALLOWED: dict[str, set[str]] = {
    "data": set(),
    "importing": {"data", "identity.names"},
    "identity": {"data", "reads"},
    "reads": {"data"},
    "export": {"data", "importing"},
    "index": {"data", "reads", "importing.fields", "identity.names"},
    "web": {"data", "importing", "identity", "index", "export", "reads", "top"},
    "top": {"data", "importing", "identity", "index", "export", "reads", "web", "top"},
    "bench": EVERY_PART,
}
WEB_LIBRARIES = ("flask", "werkzeug", "jinja2")
FLASK_FREE = ("data", "importing", "identity", "index", "export", "reads")


def part_of(module: str) -> str:
    """Return the part an ``archive.*`` module belongs to ("top" for archive and its modules
    that are not a part's package)."""
    pieces = module.split(".")
    if len(pieces) > 1 and pieces[1] in EVERY_PART - {"top"}:
        return pieces[1]
    return "top"


def allowed(part: str, target: str) -> bool:
    """Tell whether ``part`` may import the module ``target``: its whole part, or the module
    itself, is among what ALLOWED lets it import."""
    return any(part_of(target) == entry or target == f"archive.{entry}" for entry in ALLOWED[part])


def modules(package: Path) -> Iterator[tuple[str, Path]]:
    """Yield (dotted name, path) of every module under ``package``."""
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        yield ".".join(parts), path


def imports(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, imported module) for every import statement of the module ``name`` at
    ``path``, relative imports resolved against its package."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:  # from archive import reads: the module archive.reads
                yield node.lineno, f"{module}.{alias.name}"


def breaches(package: Path) -> list[str]:
    """Return every import that crosses a wall, as 'path:line: part imports what'."""
    found = []
    known = {name for name, _path in modules(package)}
    for name, path in modules(package):
        mine = part_of(name)
        for line, target in imports(name, path):
            where = f"{path.relative_to(package.parent)}:{line}"
            root = target.split(".")[0]
            if root in WEB_LIBRARIES and mine not in ("web", "top", "bench"):
                found.append(f"{where}: {mine} imports {target} (only the web knows Flask)")
            if root != "archive" or (target not in known and target != "archive"):
                continue
            theirs = part_of(target)
            if target == "archive":  # the factory module alone, as `from archive import x`
                continue
            if theirs != mine and not allowed(mine, target):
                found.append(f"{where}: {mine} imports {target} ({theirs})")
    return found


def test_no_part_imports_across_its_walls() -> None:
    assert breaches(PACKAGE) == []


@pytest.mark.parametrize(
    ("module", "planted", "expected"),
    [
        ("data/models.py", "from archive.web import context", "data imports archive.web"),
        ("importing/fields.py", "import flask", "importing imports flask"),
        ("reads/home.py", "from archive.index import search", "reads imports archive.index"),
        ("web/home.py", "from archive.bench import corpus", "web imports archive.bench"),
        ("cli.py", "from archive import bench", "top imports archive.bench"),
        ("export/rows.py", "from archive import web", "export imports archive.web"),
        ("data/models.py", "from ..web import context", "data imports archive.web"),
        ("reads/home.py", "from .. import index", "reads imports archive.index"),
        ("index/search.py", "from ..importing import importer", "index imports archive.importing"),
    ],
)
def test_a_forbidden_import_breaches_a_wall(
    tmp_path: Path, module: str, planted: str, expected: str
) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "demo"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n\ndef f() -> None:\n    {planted}\n")
    found = breaches(copy)
    assert len(found) >= 1
    assert all(expected in breach for breach in found), found


def _run(code: str, env: dict[str, str] | None = None) -> list[str]:
    """Run ``code`` in a fresh interpreter at the top of the repository; return its JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("part", FLASK_FREE)
def test_every_part_but_the_web_leaves_flask_out(part: str) -> None:
    names = [name for name, _path in modules(PACKAGE) if part_of(name) == part]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{WEB_LIBRARIES!r} or m.startswith('archive.web') or m.startswith('archive.bench'))))"
    )
    assert len(names) > 1
    assert _run(code) == []


def test_the_command_group_lists_the_benchmark_without_importing_it(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from archive.cli import main\n"
        "sys.argv = ['archive', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('archive.bench'))))"
    )
    assert _run(code, {"ARCHIVE_INSTANCE_DIR": str(tmp_path)}) == []


def test_the_benchmark_command_loads_when_asked_for_its_help(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from archive.cli import main\n"
        "sys.argv = ['archive', 'bench', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'archive.bench.command')))"
    )
    assert _run(code, {"ARCHIVE_INSTANCE_DIR": str(tmp_path)}) == ["archive.bench.command"]
