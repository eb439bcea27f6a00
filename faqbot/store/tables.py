"""The store's tables (SQLAlchemy Core). Migrations in faqbot/store/migrations/ create them; a test
checks that a migrated database matches these definitions exactly."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

questions = Table(
    "questions", metadata,
    Column("id", String(32), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("surface", String(16), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("normalized", Text, nullable=False),
    Column("entry_id", String(200), index=True),
    Column("score", Float, nullable=False),
    Column("method", String(16), nullable=False),
    Column("answered", Boolean, nullable=False),
    # migration 0004: what the usage report groups by, read from the index alone
    Index("ix_questions_usage", "at", "answered", "method", "entry_id"),
)

def _click(name: str, *extra: Column) -> Table:
    """A click on a question's message: who, when, for which entry (feedback and choices)."""
    return Table(
        name, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("question_id", String(32), nullable=False, index=True),
        Column("entry_id", String(200), nullable=False),
        Column("user_hash", String(64), nullable=False),
        *extra,
    )


feedback = _click("feedback", Column("helpful", Boolean, nullable=False))
choices = _click("choices")

# Added in migration 0002: "have we handled this already?", shared by every process.
claims = Table(
    "claims", metadata,
    Column("key", String(200), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Added in migration 0005: questions handed to a human, and whether that was resolved.
handoffs = Table(
    "handoffs", metadata,
    Column("id", String(32), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("question_id", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolver_hash", String(64)),
)

# Added in migration 0005: FAQ changes proposed in Slack (or learnt by `faqbot suggest`), for review.
proposals = Table(
    "proposals", metadata,
    Column("id", String(32), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("entry_id", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("alternates", Text, nullable=False),  # JSON list
    Column("answer", Text, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list
    Column("proposer", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("link", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("reviewer", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True)),
)
