"""The store's tables (SQLAlchemy Core). Migrations in faqbot/store/migrations/ create them; a test
checks that a migrated database matches these definitions exactly."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()


def _team() -> Column:
    """Migration 0006: the Slack workspace (or Enterprise Grid org) a record came from; NULL before."""
    return Column("team_id", String(32))


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
    _team(),
    # migrations 0004 and 0006: what the usage report groups and filters by, read from the index alone
    Index("ix_questions_usage", "at", "answered", "method", "entry_id", "team_id"),
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
        _team(),
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
    _team(),
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
    _team(),
)

# Added in migration 0006, for OAuth mode: the installations Bolt looks tokens up in, and the
# OAuth flow's states, exactly as slack_sdk's SQLAlchemy stores define them (the store tests
# check that the migration creates these).
slack_bots = SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
slack_installations = SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
