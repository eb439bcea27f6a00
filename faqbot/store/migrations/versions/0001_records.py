"""Records: questions, feedback and "did you mean" choices.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32)),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("normalized", sa.Text, nullable=False),
        sa.Column("entry_id", sa.String(200)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False),
    )
    op.create_index("ix_questions_at", "questions", ["at"])
    op.create_index("ix_questions_entry_id", "questions", ["entry_id"])
    for name, extra in (("feedback", [sa.Column("helpful", sa.Boolean, nullable=False)]), ("choices", [])):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("question_id", sa.String(32), nullable=False),
            sa.Column("entry_id", sa.String(200), nullable=False),
            sa.Column("user_hash", sa.String(64), nullable=False),
            *extra,
        )
        op.create_index(f"ix_{name}_at", name, ["at"])
        op.create_index(f"ix_{name}_question_id", name, ["question_id"])
