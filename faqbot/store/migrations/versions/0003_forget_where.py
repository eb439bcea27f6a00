"""Forget where a question was asked: channel and message timestamps identify its author
(Slack shows who posted a message at a channel and ts), and no report reads them. Claims
keep only a hash of their key, which holds the same channel and timestamp.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("channel")
        batch.drop_column("ts")
        batch.drop_column("thread_ts")
    op.execute("DELETE FROM claims")  # readable keys; claims last minutes, so none is missed
