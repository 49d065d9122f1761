"""The archive's tables, as typed SQLAlchemy declarations (the migrations are the truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from archive.data.database import Base


def Str(length: int | None = None) -> TypeEngine[str]:
    """Return a string type (``Text`` without a length) that compares and sorts bytewise.

    SQLite compares text bytewise (its BINARY collation). PostgreSQL would follow the
    database's locale (in English ``b`` before ``K2`` and ``k_1`` before ``k-1``, and ``lower``
    folding Cyrillic too), so there the column has the "C" collation: lists, key ranges and
    ``lower`` give the same answers on both.
    """
    plain = String(length) if length else Text()
    bytewise = String(length, collation="C") if length else Text(collation="C")
    return plain.with_variant(bytewise, "postgresql")


LongText = Str()
# Dates are ISO 8601 strings that keep their precision: "2022", "2022-09" or "2022-09-12".
DateText = Str(10)


class Keyed:
    """A record with a row id and a permanent natural key (the key of its URL)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Str(200), unique=True)


class OtherName:
    """A name in another language (``language`` set) or a variant spelling (``language``
    None) of the record that owns it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Str(300))
    language: Mapped[str | None] = mapped_column(Str(35))


def _links(name: str, owner: tuple[str, str], other: tuple[str, str]) -> Table:
    """Declare a many-to-many link table between an owner's rows and other rows, each given
    as (column, table it refers to); the other's column is indexed, and a link goes when its
    owner is deleted."""
    return Table(
        name,
        Base.metadata,
        Column(owner[0], ForeignKey(f"{owner[1]}.id", ondelete="CASCADE"), primary_key=True),
        Column(other[0], ForeignKey(f"{other[1]}.id"), primary_key=True, index=True),
    )


statement_sources = _links(
    "statement_sources", ("statement_id", "statements"), ("source_id", "sources")
)
statement_districts = _links(
    "statement_districts", ("statement_id", "statements"), ("district_id", "districts")
)
signature_sources = _links(
    "signature_sources", ("signature_id", "signatures"), ("source_id", "sources")
)
event_people = _links("event_people", ("event_id", "events"), ("person_id", "people"))
event_sources = _links("event_sources", ("event_id", "events"), ("source_id", "sources"))


class District(Keyed, Base):
    """A place in the tree of districts (country > region > district > okrug or town)."""

    __tablename__ = "districts"

    name: Mapped[str] = mapped_column(Str(300))
    kind: Mapped[str] = mapped_column(Str(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)

    parent: Mapped[District | None] = relationship(remote_side="District.id")
    names: Mapped[list[DistrictName]] = relationship(
        cascade="all, delete-orphan", order_by="(DistrictName.language, DistrictName.name)"
    )


class DistrictName(OtherName, Base):
    """A district's name in another language (``language`` set) or a variant spelling."""

    __tablename__ = "district_names"

    district_id: Mapped[int] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), index=True
    )


class Person(Keyed, Base):
    """A signatory: one person across every statement they are part of."""

    __tablename__ = "people"

    name: Mapped[str] = mapped_column(Str(300))
    description: Mapped[str | None] = mapped_column(LongText)

    names: Mapped[list[PersonName]] = relationship(
        cascade="all, delete-orphan", order_by="(PersonName.language, PersonName.name)"
    )
    identifiers: Mapped[list[PersonIdentifier]] = relationship(
        cascade="all, delete-orphan",
        order_by="(PersonIdentifier.scheme, PersonIdentifier.value)",
    )
    # The keys of people merged into this one.
    merged: Mapped[list[MergedKey]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="MergedKey.key"
    )


class PersonName(OtherName, Base):
    """A person's name in another script (``language`` set) or a variant spelling."""

    __tablename__ = "person_names"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)


class PersonIdentifier(Base):
    """An external identifier of a person (a Wikidata item, an ORCID, a registry id, a
    handle): a scheme and a value, which name one person at most."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(Str(64))
    value: Mapped[str] = mapped_column(Str(300))


class MergedKey(Base):
    """The key of a person merged into another: reserved for good, its URL redirects to the
    person it now belongs to, and ``record`` keeps the merged person as it last was."""

    __tablename__ = "merged_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Str(200), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # {} for a key that came in by import, not by a merge here
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    person: Mapped[Person] = relationship(back_populates="merged")


class Decision(Base):
    """A curator's decision on who a person is: ``merge`` (other merged into person),
    ``split`` (signatures of person moved to other) or ``distinct`` (the two are not the same
    person); who and when through its changeset, why in its reason. Keys are kept as text, so
    a decision outlives the records it names."""

    __tablename__ = "person_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    changeset_id: Mapped[int] = mapped_column(ForeignKey("changesets.id"), index=True)
    decision: Mapped[str] = mapped_column(Str(16))
    person_key: Mapped[str] = mapped_column(Str(200), index=True)
    other_key: Mapped[str] = mapped_column(Str(200), index=True)
    reason: Mapped[str | None] = mapped_column(LongText)

    changeset: Mapped[Changeset] = relationship()


class Source(Keyed, Base):
    """Where a fact comes from: an article, a post, a document, with what it cites."""

    __tablename__ = "sources"

    url: Mapped[str | None] = mapped_column(Str(2000))
    # The SHA-256 of the URL's normalised form (archive.data.urls): one source per address.
    url_key: Mapped[str | None] = mapped_column(Str(64), unique=True)
    kind: Mapped[str] = mapped_column(Str(32))
    publisher: Mapped[str | None] = mapped_column(Str(300))
    author: Mapped[str | None] = mapped_column(Str(300))
    title: Mapped[str | None] = mapped_column(LongText)
    published: Mapped[str | None] = mapped_column(DateText)
    accessed: Mapped[str | None] = mapped_column(DateText)
    archive_url: Mapped[str | None] = mapped_column(Str(2000))
    cites_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    capture_text: Mapped[str | None] = mapped_column(LongText)
    capture_sha256: Mapped[str | None] = mapped_column(Str(64), index=True)

    cites: Mapped[Source | None] = relationship(remote_side="Source.id")


class Statement(Keyed, Base):
    """An open letter, petition, resolution, appeal or statement, and what it demands."""

    __tablename__ = "statements"

    title: Mapped[str] = mapped_column(LongText)
    kind: Mapped[str] = mapped_column(Str(32))
    date: Mapped[str | None] = mapped_column(DateText, index=True)
    language: Mapped[str | None] = mapped_column(Str(35))
    text: Mapped[str | None] = mapped_column(LongText)
    addressee: Mapped[str | None] = mapped_column(Str(300))
    reported_signatories: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(LongText)

    demands: Mapped[list[Demand]] = relationship(
        cascade="all, delete-orphan", order_by="Demand.position"
    )
    translations: Mapped[list[Translation]] = relationship(
        cascade="all, delete-orphan", order_by="Translation.language"
    )
    sources: Mapped[list[Source]] = relationship(secondary=statement_sources, order_by="Source.key")
    # Where its signatories hold office, as reported, including those not named.
    districts: Mapped[list[District]] = relationship(
        secondary=statement_districts, order_by="District.key"
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="Signature.position"
    )


class Demand(Base):
    """A tag naming what a statement demands (resignation, impeachment, end_war...)."""

    __tablename__ = "statement_demands"
    __table_args__ = (UniqueConstraint("statement_id", "demand"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    demand: Mapped[str] = mapped_column(Str(64), index=True)


class Translation(Base):
    """A statement's text in another language, with who translated it and from where."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("statement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(Str(35))
    text: Mapped[str] = mapped_column(LongText)
    translator: Mapped[str | None] = mapped_column(Str(300))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)

    source: Mapped[Source | None] = relationship()


class Signature(Base):
    """A person's part in a statement, with the role and district held at the time."""

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("statement_id", "person_id"),
        # A statement's page reads its signatures a page at a time, in its order.
        Index("ix_signatures_statement_position", "statement_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(Str(300))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    stance: Mapped[str] = mapped_column(Str(32))
    withdrawn: Mapped[str | None] = mapped_column(DateText)
    withdrawal_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    note: Mapped[str | None] = mapped_column(LongText)

    statement: Mapped[Statement] = relationship(back_populates="signatures")
    person: Mapped[Person] = relationship()
    district: Mapped[District | None] = relationship()
    withdrawal_source: Mapped[Source | None] = relationship()
    sources: Mapped[list[Source]] = relationship(secondary=signature_sources, order_by="Source.key")


class Event(Keyed, Base):
    """What happened to people, or because of a statement, afterwards."""

    __tablename__ = "events"

    date: Mapped[str | None] = mapped_column(DateText, index=True)
    kind: Mapped[str] = mapped_column(Str(32))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    description: Mapped[str | None] = mapped_column(LongText)

    statement: Mapped[Statement | None] = relationship()
    people: Mapped[list[Person]] = relationship(secondary=event_people, order_by="Person.key")
    sources: Mapped[list[Source]] = relationship(secondary=event_sources, order_by="Source.key")


class Changeset(Base):
    """One write transaction: an import, a demo load, an edit."""

    __tablename__ = "changesets"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(Str(300))
    summary: Mapped[str | None] = mapped_column(LongText)


class Revision(Base):
    """One change to one record, with the record before and after; its id is a dataset version."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_record", "record_type", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    changeset_id: Mapped[int] = mapped_column(ForeignKey("changesets.id"), index=True)
    record_type: Mapped[str] = mapped_column(Str(32))
    record_key: Mapped[str] = mapped_column(Str(420))
    action: Mapped[str] = mapped_column(Str(8))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The SHA-256 of its content, and of the chain up to it (archive.data.fixity).
    content_digest: Mapped[str] = mapped_column(Str(64))
    chain_digest: Mapped[str] = mapped_column(Str(64))

    changeset: Mapped[Changeset] = relationship()


class FixityCheck(Base):
    """One run of ``archive verify``: when, how much it checked and what failed."""

    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime] = mapped_column(index=True)
    captures: Mapped[int] = mapped_column(Integer)
    revisions: Mapped[int] = mapped_column(Integer)
    # The newest revision checked and its chain digest (None for an empty archive).
    head_revision: Mapped[int | None] = mapped_column(Integer)
    chain_head: Mapped[str | None] = mapped_column(Str(64))
    # Each failure as a one-line sentence, and the keys of the sources whose capture failed.
    failures: Mapped[list[str]] = mapped_column(JSON)
    failed_captures: Mapped[list[str]] = mapped_column(JSON)
    ok: Mapped[bool] = mapped_column()
