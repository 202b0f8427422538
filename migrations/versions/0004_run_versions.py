"""Runs count the events merged into them, so their change events carry a version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )
    # Runs recorded before: as many as the run events kept for them (duplicates are never
    # kept twice).
    op.execute(
        """
        UPDATE runs SET version = GREATEST(1, (
            SELECT count(*) FROM openlineage_events e
            WHERE e.organization_id = runs.organization_id
              AND e.run_id = runs.id
              AND e.event_type IS NOT NULL
        ))
        """
    )


def downgrade() -> None:
    op.drop_column("runs", "version")
