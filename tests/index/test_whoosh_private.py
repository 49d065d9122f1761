"""Whoosh's private parts are used in one module, which loads only under the Whoosh it was
written against."""

from __future__ import annotations

import ast
import importlib.util
import pickle
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
import whoosh

import archive
from archive.index import whoosh_private
from archive.index.whoosh_private import BulkCodec

ARCHIVE = Path(archive.__file__).parent
PINNED = ARCHIVE / "index" / "whoosh_private.py"
ACCESSORS = ("getattr", "setattr", "hasattr", "delattr")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


@cache
def _whooshs_private_names() -> frozenset[str]:
    """Return every private name Whoosh's source defines or assigns (functions, classes,
    attributes, variables)."""
    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # Whoosh's source has escapes Python now warns about
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(name for name in names if _private(name))


def _own_names(tree: ast.Module) -> set[str]:
    """Return the names a module gives its own objects: ``self.name = ...``, methods and
    class attributes."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        if isinstance(node, ast.ClassDef):
            assigned = (s.targets for s in node.body if isinstance(s, ast.Assign))
            own.update(t.id for targets in assigned for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.update([node.attr] if _on_own(node) else [])
    return own


def _on_own(node: ast.Attribute) -> bool:
    """Tell whether an attribute is read or written on ``self`` or ``cls``."""
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def whoosh_privates_used(source: str) -> list[tuple[int, str]]:
    """Return (line, name) for each private part of Whoosh a module's source uses: a private
    name imported from Whoosh, or a private attribute Whoosh defines, read or written on
    anything but the module's own objects (directly or through getattr and its kin)."""
    tree = ast.parse(source)
    defined, own = _whooshs_private_names(), _own_names(tree)
    used: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            parts = [*(node.module or "").split("."), *(alias.name for alias in node.names)]
            used += [(node.lineno, part) for part in parts if _private(part)]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "whoosh":
                    used += [(node.lineno, part) for part in parts if _private(part)]
        elif isinstance(node, ast.Attribute) and node.attr in defined:
            if not (_on_own(node) and node.attr in own):
                used.append((node.lineno, node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ACCESSORS
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in defined
        ):
            used.append((node.lineno, str(node.args[1].value)))
    return sorted(used)


def _modules() -> list[Path]:
    return sorted(ARCHIVE.rglob("*.py"))


def test_only_the_pinned_module_uses_whooshs_private_parts() -> None:
    assert len(_modules()) > 50  # the scan reads the whole package
    found = [
        f"{path.relative_to(ARCHIVE.parent)}:{line}: {name}"
        for path in _modules()
        if path != PINNED
        for line, name in whoosh_privates_used(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_pinned_module_lists_every_private_part_it_uses() -> None:
    used = {name for _line, name in whoosh_privates_used(PINNED.read_text(encoding="utf-8"))}
    assert {"_INT_SIZE", "_perdoc", "_text_to_bytes", "_allow"} <= used
    docstring = whoosh_private.__doc__ or ""
    assert sorted(name for name in used if f"{name}``" not in docstring) == []


def test_the_scan_finds_each_way_of_reaching_a_private_part() -> None:
    planted = """
from whoosh.system import _INT_SIZE
import whoosh.codec._private_module
lengths = reader._perdoc
found = getattr(reader, "_perdoc", None)


class Allowed(FilterCollector):
    def __init__(self):
        self._lock = None

    def collect(self):
        return self._allow, self._lock, counts._asdict()
"""
    assert whoosh_privates_used(planted) == [
        (2, "_INT_SIZE"),
        (3, "_private_module"),
        (4, "_perdoc"),
        (5, "_perdoc"),
        (13, "_allow"),
    ]


def _load_afresh() -> ModuleType:
    """Run the pinned module's source as a new module, leaving the one in use alone."""
    spec = importlib.util.spec_from_file_location("whoosh_private_afresh", PINNED)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pinned_module_loads_only_under_its_whoosh(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _load_afresh().WHOOSH_VERSION == whoosh.versionstring() == "2.7.5"
    monkeypatch.setattr(whoosh, "__version__", (2, 7, 6))
    with pytest.raises(ImportError, match=r"written against Whoosh 2\.7\.5.*Whoosh 2\.7\.6 is"):
        _load_afresh()


# An index written before the codec moved to whoosh_private names it so in its table of contents.
LEGACY_CODEC = b"\x80\x02carchive.index.search\n_BulkCodec\nq\x00)\x81q\x01}q\x02b."


def test_the_rebuilds_codec_keeps_the_name_the_index_knows_it_by() -> None:
    """The codec is pickled into the index by name: a new name would leave older indexes
    unreadable, each rebuilt at start-up (minutes at 100,000 statements)."""
    assert type(pickle.loads(LEGACY_CODEC)) is BulkCodec
    pickled = pickle.dumps(BulkCodec(), protocol=2)
    assert b"archive.index.search\n_BulkCodec\n" in pickled
    assert type(pickle.loads(pickled)) is BulkCodec
