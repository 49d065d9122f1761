"""The template filters shared by every page: dates with their precision, counts of signatories."""

from __future__ import annotations

from archive.importing.fields import date_precision

# English month names, fixed: calendar.month_name follows the server's locale.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_text(value: str | None) -> str:
    """Show an ISO date at its precision: "2022", "September 2022" or "12 September 2022"."""
    if not value:
        return "undated"
    parts = value.split("-")
    precision = date_precision(value)
    if precision == "year":
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    if precision == "month":
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


def signatory_count(named: int, reported: int | None) -> str:
    """Say how many signatories a statement has: "1 named, 18 reported" when they differ."""
    if reported is not None and reported != named:
        return f"{named} named, {reported} reported"
    if named == 0:
        return "no named signatories"
    return f"{named} signator{'y' if named == 1 else 'ies'}"
