"""The six kinds of record, their fields, and the cleaning of one record's fields.

A record is a plain dict in the import format (``{"key": ..., "title": ...}``). Cleaning checks
each field on its own (type, vocabulary, date, URL, length) and returns the normalised value;
references between records and required fields are checked later, against the database.
Nothing here touches the database or Flask.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date as Date
from typing import Any
from urllib.parse import urlsplit

from anyascii import anyascii

from archive.data import vocab
from archive.data.fixity import capture_digest

# No dots: /statements/x.json is the JSON twin of x, so a key may not end in ".json".
KEY_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
DISTRICT_KEY_RE = re.compile(rf"{KEY_RE.pattern}(?:/{KEY_RE.pattern})*")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# C0 control characters other than tab, newline and carriage return; lone surrogates (JSON
# can carry them, UTF-8 cannot store them).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
MAX_KEY = 200
MAX_NAME = 300
MAX_URL = 2000
MAX_DEMAND = 64


class Invalid(ValueError):
    """A field's value is not acceptable; the message says why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import: where it is, which field, and why."""

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        field = f": {self.field}" if self.field else ""
        return f"{self.where}{field}: {self.message}"


@dataclass(frozen=True)
class Field:
    """How to clean one field of a record, whether a new record needs it, what it refers to."""

    clean: Callable[[Any], Any]
    required: bool = False
    ref: str | None = None  # the kind of record the value names (a key or a list of keys)
    default: Any = None


# Cleaners: each takes the raw value and returns the stored one, or raises Invalid.


def _string(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {_json_type(value)}")
    value = unicodedata.normalize("NFC", value).strip()
    if match := CONTROL_RE.search(value):
        code = f"U+{ord(match.group()):04X}"
        raise Invalid(f"contains the character {code} (a control character or lone surrogate)")
    if limit is not None and len(value) > limit:
        raise Invalid(f"is {len(value)} characters long; at most {limit} are allowed")
    return value or None


def text(value: Any) -> str | None:
    """Clean free text (a title, a statement's text): trimmed, NFC, no control characters."""
    return _string(value)


def name(value: Any) -> str | None:
    """Clean a name: text of at most 300 characters on one line."""
    cleaned = _string(value, MAX_NAME)
    if cleaned is not None and ("\n" in cleaned or "\r" in cleaned):
        raise Invalid("must be on one line")
    return cleaned


def _pattern(regex: re.Pattern[str], what: str, limit: int = MAX_KEY) -> Callable[[Any], Any]:
    def clean(value: Any) -> str | None:
        cleaned = name(value)
        if cleaned is None:
            return None
        if len(cleaned) > limit or not regex.fullmatch(cleaned):
            raise Invalid(f"{cleaned!r} is not {what}")
        return cleaned

    return clean


key = _pattern(KEY_RE, "a key (lower-case letters and digits, with - or _ between them)")
district_key = _pattern(DISTRICT_KEY_RE, "a district key (keys joined by /, such as ru/spb)")
language = _pattern(LANGUAGE_RE, "a language code such as ru, en or ru-Latn", 35)


def demand(value: Any) -> str | None:
    """Clean a demand tag: a key of at most 64 characters (the width of its column)."""
    cleaned: str | None = key(value)
    if cleaned is not None and len(cleaned) > MAX_DEMAND:
        raise Invalid(f"is {len(cleaned)} characters long; at most {MAX_DEMAND} are allowed")
    return cleaned


def sha256(value: Any) -> str | None:
    """Clean a SHA-256 digest: 64 hexadecimal digits, stored in lower case."""
    cleaned = name(value)
    if cleaned is None:
        return None
    if not SHA256_RE.fullmatch(cleaned.lower()):
        raise Invalid(f"{cleaned!r} is not a SHA-256 digest (64 hexadecimal digits)")
    return cleaned.lower()


def iso_date(value: Any) -> str | None:
    """Clean a date that keeps its precision: YYYY, YYYY-MM or YYYY-MM-DD."""
    cleaned = name(value)
    if cleaned is None:
        return None
    problem = f"{cleaned!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"
    if not DATE_RE.fullmatch(cleaned):
        raise Invalid(problem)
    parts = [int(part) for part in cleaned.split("-")]
    try:
        Date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError as error:
        raise Invalid(f"{problem} ({error})") from None
    if parts[0] < 1000:
        raise Invalid(f"{problem} (year before 1000)")
    return cleaned


def exact_text(value: Any) -> str | None:
    """Clean captured text: kept exactly as given (its SHA-256 must not change), no NUL."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {_json_type(value)}")
    if "\x00" in value:
        raise Invalid("contains a NUL character")
    if SURROGATE_RE.search(value):
        raise Invalid("contains a lone surrogate, which UTF-8 cannot hold")
    return value


def date_precision(value: str | None) -> str | None:
    """Return day, month or year for a date kept with its precision."""
    return vocab.DATE_PRECISIONS[len(value)] if value else None


def url(value: Any) -> str | None:
    """Clean an absolute http(s) URL of at most MAX_URL characters, on one line."""
    cleaned = _string(value, MAX_URL)
    if cleaned is None:
        return None
    if "\n" in cleaned or "\r" in cleaned:
        raise Invalid("must be on one line")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in cleaned:
        raise Invalid(f"{cleaned!r} is not an absolute http(s) URL")
    return cleaned


def count(value: Any) -> int | None:
    """Clean a count: a whole number, zero or more (digits in a CSV cell are accepted)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 10:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{value!r} is not a whole number")
    if value < 0 or value > 10**9:
        raise Invalid(f"{value} is out of range (0 to 1,000,000,000)")
    return value


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    """Return a cleaner accepting one of ``choices``."""

    def clean(value: Any) -> str | None:
        cleaned = name(value)
        if cleaned is not None and cleaned not in choices:
            raise Invalid(f"{cleaned!r} is not one of: {', '.join(choices)}")
        return cleaned

    return clean


def list_of(
    item: Callable[[Any], Any], unique: bool = True, ordered: bool = False
) -> Callable[[Any], list[Any]]:
    """Return a cleaner for a list of items; sorted unless ``ordered``; duplicates refused."""

    def clean(value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid(f"must be a list, not {_json_type(value)}")
        items = []
        for index, raw in enumerate(value):
            try:
                cleaned = item(raw)
            except Invalid as error:
                raise Invalid(f"item {index + 1}: {error}") from None
            if cleaned is None:
                raise Invalid(f"item {index + 1} is empty")
            if unique and cleaned in items:
                raise Invalid(f"item {index + 1} ({cleaned!r}) is listed twice")
            items.append(cleaned)
        return items if ordered else sorted(items)

    return clean


def names_by_language(value: Any) -> dict[str, str]:
    """Clean a mapping of language code to the name in that language."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f'must be an object such as {{"ru": "..."}}, not {_json_type(value)}')
    cleaned = {}
    for code, raw in value.items():
        try:
            lang = language(code)
            entry = name(raw)
        except Invalid as error:
            raise Invalid(f"{code!r}: {error}") from None
        if lang is None or entry is None:
            raise Invalid(f"{code!r}: empty language or name")
        cleaned[lang] = entry
    return dict(sorted(cleaned.items()))


def translation(value: Any) -> dict[str, Any]:
    """Clean one translation: language, text, translator, source."""
    if not isinstance(value, dict):
        raise Invalid(f"must be an object, not {_json_type(value)}")
    return clean_nested(value, TRANSLATION_FIELDS)


def translations(value: Any) -> list[dict[str, Any]]:
    """Clean a statement's translations: at most one per language, ordered by language."""
    items = list_of(translation, ordered=True)(value)
    seen: set[str] = set()
    for item in items:
        if item["language"] in seen:
            raise Invalid(f"two translations into {item['language']!r}")
        seen.add(item["language"])
    return sorted(items, key=lambda item: str(item["language"]))


# Identifier schemes whose values have a known form; any other scheme takes any value.
SCHEME_RE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
IDENTIFIER_FORMS = {
    "wikidata": (re.compile(r"Q[1-9][0-9]*"), "a Wikidata item such as Q42"),
    "orcid": (re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]"), "an ORCID such as 0000-0002-1825-0097"),
}
scheme = _pattern(
    SCHEME_RE, "a scheme (lower-case letters, digits, _ . or -, such as wikidata)", 64
)


def identifier(value: Any) -> dict[str, Any]:
    """Clean one external identifier: ``{"scheme": ..., "value": ...}``; a Wikidata item
    (``Q42``) or an ORCID (ISO 27729 form) must have its scheme's form."""
    if not isinstance(value, dict):
        raise Invalid(
            f'must be an object such as {{"scheme": "wikidata", "value": "Q42"}}, '
            f"not {_json_type(value)}"
        )
    cleaned = clean_nested(value, IDENTIFIER_FIELDS)
    form = IDENTIFIER_FORMS.get(cleaned["scheme"])
    if form is not None and not form[0].fullmatch(cleaned["value"]):
        raise Invalid(f"{cleaned['value']!r} is not {form[1]}")
    return cleaned


def identifiers(value: Any) -> list[dict[str, Any]]:
    """Clean a person's identifiers: each (scheme, value) once, ordered by scheme and value."""
    items = list_of(identifier, ordered=True)(value)
    return sorted(items, key=lambda item: (str(item["scheme"]), str(item["value"])))


def clean_nested(value: Mapping[str, Any], fields: Mapping[str, Field]) -> dict[str, Any]:
    """Clean an object nested in a record, such as a translation, as one field."""
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r}")
    cleaned = {}
    for field_name, spec in fields.items():
        try:
            cleaned[field_name] = spec.clean(value.get(field_name))
        except Invalid as error:
            raise Invalid(f"{field_name}: {error}") from None
        if spec.required and cleaned[field_name] in (None, [], {}):
            raise Invalid(f"{field_name} is required")
    return cleaned


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number"}.get(
        type(value), type(value).__name__
    )


TRANSLATION_FIELDS = {
    "language": Field(language, required=True),
    "text": Field(text, required=True),
    "translator": Field(name),
    "source": Field(key, ref="source"),
}

IDENTIFIER_FIELDS = {
    "scheme": Field(scheme, required=True),
    "value": Field(name, required=True),
}

# The fields of each kind of record, in the order the export writes them.
KINDS: dict[str, dict[str, Field]] = {
    "district": {
        "key": Field(district_key, required=True),
        "name": Field(name, required=True),
        "kind": Field(one_of(vocab.DISTRICT_KINDS), required=True),
        "parent": Field(district_key, ref="district"),
        "names": Field(names_by_language, default={}),
        "aliases": Field(list_of(name), default=[]),
    },
    "person": {
        "key": Field(key, required=True),
        "name": Field(name, required=True),
        "description": Field(text),
        "names": Field(names_by_language, default={}),
        "aliases": Field(list_of(name), default=[]),
        "identifiers": Field(identifiers, default=[]),
        # The keys of people merged into this one: reserved for good, redirecting here.
        "merged_keys": Field(list_of(key), default=[]),
    },
    "source": {
        "key": Field(key, required=True),
        "url": Field(url),
        "kind": Field(one_of(vocab.SOURCE_KINDS), required=True),
        "publisher": Field(name),
        "author": Field(name),
        "title": Field(text),
        "published": Field(iso_date),
        "accessed": Field(iso_date),
        "archive_url": Field(url),
        "cites": Field(key, ref="source"),
        "capture_sha256": Field(sha256),
        "capture_text": Field(exact_text),
    },
    "statement": {
        "key": Field(key, required=True),
        "title": Field(text, required=True),
        "kind": Field(one_of(vocab.STATEMENT_KINDS), required=True),
        "date": Field(iso_date),
        "language": Field(language),
        "addressee": Field(name),
        "reported_signatories": Field(count),
        "demands": Field(list_of(demand, ordered=True), default=[]),
        "summary": Field(text),
        "text": Field(text),
        "districts": Field(list_of(district_key), ref="district", default=[]),
        "translations": Field(translations, default=[]),
        "sources": Field(list_of(key), ref="source", default=[]),
    },
    "signature": {
        "statement": Field(key, required=True, ref="statement"),
        "person": Field(key, required=True, ref="person"),
        "position": Field(count),
        "role": Field(name),
        "district": Field(district_key, ref="district"),
        "stance": Field(one_of(vocab.STANCES), required=True, default="signed"),
        "withdrawn": Field(iso_date),
        "withdrawal_source": Field(key, ref="source"),
        "note": Field(text),
        "sources": Field(list_of(key), ref="source", default=[]),
    },
    "event": {
        "key": Field(key, required=True),
        "date": Field(iso_date),
        "kind": Field(one_of(vocab.EVENT_KINDS), required=True),
        "statement": Field(key, ref="statement"),
        "description": Field(text),
        "people": Field(list_of(key), ref="person", default=[]),
        "sources": Field(list_of(key), ref="source", default=[]),
    },
}


def clean_fields(
    kind: str, raw: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Clean the fields present in ``raw``; absent fields stay absent (they keep stored values)."""
    fields = KINDS[kind]
    problems = [
        Problem(where, field_name, f"unknown field (a {kind} has: {', '.join(fields)})")
        for field_name in raw
        if field_name not in fields
    ]
    cleaned: dict[str, Any] = {}
    for field_name, spec in fields.items():
        if field_name not in raw:
            continue
        try:
            cleaned[field_name] = spec.clean(raw[field_name])
        except Invalid as error:
            problems.append(Problem(where, field_name, str(error)))
    if kind == "source":
        problems += _check_capture(cleaned, where)
    if kind == "person" and cleaned.get("key") in vocab.RESERVED_PERSON_KEYS:
        page = f"/people/{cleaned['key']}"
        message = f"is the address of a page ({page}), not a key a person may have"
        problems.append(Problem(where, "key", message))
    # The fields that make the natural key are needed even to update a stored record.
    for field_name in ("key", "statement", "person"):
        key_field = fields.get(field_name)
        needed = key_field is not None and key_field.required
        if needed and field_name not in cleaned and not _has(problems, field_name):
            problems.append(Problem(where, field_name, "is required"))
    return cleaned, problems


def _check_capture(cleaned: dict[str, Any], where: str) -> list[Problem]:
    """Give a capture its SHA-256, or refuse a digest that does not match the text."""
    if "capture_text" not in cleaned and "capture_sha256" not in cleaned:
        return []
    captured, given = cleaned.get("capture_text"), cleaned.get("capture_sha256")
    if captured is None:
        cleaned["capture_text"] = None  # a capture known only by its digest
        return []
    digest = capture_digest(captured)
    if given is not None and given != digest:
        return [
            Problem(
                where,
                "capture_sha256",
                f"{given} does not match the captured text, whose SHA-256 is {digest}",
            )
        ]
    cleaned["capture_sha256"] = digest
    return []


def _has(problems: list[Problem], field_name: str) -> bool:
    return any(problem.field == field_name for problem in problems)


# Each kind's whole record with every field at its default, from which a new record is
# completed (archive.data.revisions.Writer).
DEFAULTS: dict[str, dict[str, Any]] = {
    kind: {name: spec.default for name, spec in fields.items()} for kind, fields in KINDS.items()
}


def missing_required(kind: str, record: Mapping[str, Any]) -> list[str]:
    """Return the required fields that a whole record lacks."""
    return [
        field_name
        for field_name, spec in KINDS[kind].items()
        if spec.required and record.get(field_name) in (None, "", [], {})
    ]


def person_key_for(person_name: str) -> str:
    """Derive a person's key from a name: ASCII transliteration, lower case, words joined by -."""
    words = re.findall(r"[a-z0-9]+", anyascii(person_name).lower())
    return "-".join(words)[:MAX_KEY].strip("-")
