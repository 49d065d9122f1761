"""How to cite a statement: a plain-text reference and a BibTeX entry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from archive.data.models import Statement
from archive.web.filters import date_text

ARCHIVE_NAME = "Dissent archive"
# BibTeX's month macros (calendar.month_abbr would follow the locale).
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MAX_AUTHORS = 3  # more named signatories than this are cited as the first and "others"
SIGNERS_NEEDED = MAX_AUTHORS + 1  # names enough to tell whether there are more than MAX_AUTHORS
# Characters that TeX reads as commands; BibTeX passes field values on to TeX.
TEX_SPECIALS = re.compile(r"[\\{}&%$#_^~]")
TEX_REPLACEMENTS = {
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


@dataclass(frozen=True)
class Citation:
    """A statement's reference in plain text and as BibTeX."""

    text: str
    bibtex: str


def citation(
    statement: Statement,
    signers: Sequence[str],
    url: str,
    version: int | None,
    head: str | None,
) -> Citation:
    """Return how to cite a statement at its permanent URL, a dataset version and that
    version's chain head (the digest of the whole history up to it, archive.data.fixity), so
    that a reader can check any copy against the citation.

    ``signers``: the names of its first signatories who did not withdraw, in its order;
    SIGNERS_NEEDED of them are enough.
    """
    cited = authors(statement, signers)
    edited = edition(version, head)
    return Citation(
        _plain(statement, cited, url, edited), _bibtex(statement, cited, url, version, edited)
    )


def edition(version: int | None, head: str | None) -> str:
    """Return what follows the archive's name in a citation: the dataset version and its
    chain head (", dataset version 42, chain head 0e7e...") or nothing."""
    if version is None:
        return ""
    return f", dataset version {version}" + (f", chain head {head}" if head else "")


def authors(statement: Statement, signers: Sequence[str]) -> tuple[list[str], bool]:
    """Return the names to cite as authors and whether others signed too."""
    names = list(signers[:SIGNERS_NEEDED])
    reported = statement.reported_signatories or 0
    more = len(names) > MAX_AUTHORS or reported > len(names)
    return (names[:1] if len(names) > MAX_AUTHORS else names), more


def _plain(statement: Statement, cited: tuple[list[str], bool], url: str, edition: str) -> str:
    """Return the plain-text reference."""
    names, more = cited
    who = ", ".join(names) + (" et al." if more else "")
    parts = [
        f"{who} ({date_text(statement.date)})." if who else f"({date_text(statement.date)}).",
        f"{statement.title} [{statement.kind.replace('_', ' ')}].",
        f"{ARCHIVE_NAME}{edition}.",
        url,
    ]
    return " ".join(parts)


def _bibtex(
    statement: Statement,
    cited: tuple[list[str], bool],
    url: str,
    version: int | None,
    edition: str,
) -> str:
    """Return the BibTeX entry (a @misc, which every BibTeX style knows)."""
    names, more = cited
    author = " and ".join([f"{{{tex(name)}}}" for name in names] + (["others"] if more else []))
    fields = [
        ("author", f"{{{author}}}" if author else None),
        ("title", f"{{{tex(statement.title)}}}"),
        ("year", f"{{{statement.date[:4]}}}" if statement.date else None),
        ("month", _month(statement.date)),
        ("howpublished", f"{{{ARCHIVE_NAME}{edition}}}"),
        ("version", f"{{{version}}}" if version is not None else None),
        ("note", f"{{{tex(statement.kind.replace('_', ' '))}}}"),
        ("url", f"{{{url}}}"),
    ]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields if value is not None)
    return f"@misc{{{statement.key},\n{body}\n}}"


def _month(date: str | None) -> str | None:
    """Return BibTeX's month macro (sep) for a date with a month, else None."""
    if not date or len(date) < 7:
        return None
    return MONTHS[int(date[5:7]) - 1]


def tex(value: str) -> str:
    """Escape the characters TeX would read as commands or groups."""
    return TEX_SPECIALS.sub(lambda m: TEX_REPLACEMENTS.get(m[0], "\\" + m[0]), value)
