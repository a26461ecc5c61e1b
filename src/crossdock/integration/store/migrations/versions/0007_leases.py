"""leases: one hub at a time runs a singleton loop (the SLA sweep)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crossdock.integration.store.schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column(
            "acquired_at",
            crossdock.integration.store.schema.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "expires_at",
            crossdock.integration.store.schema.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
