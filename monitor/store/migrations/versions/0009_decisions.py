"""Decisions: what a maintainer decided once (ignore, accept, override)

Revision ID: 0009
Revises: 0008

- `decision`: one row per decision, with who, when, why; undone ones keep `undone_at`.
- `url.ignored`: set from the active ignore decisions (and `[[ignore]]` in the config), so
  the due queries leave ignored URLs out in SQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("pattern", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("archive_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("replace_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("made_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("undone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_decision_kind", "decision", ["kind"])
    op.create_index("ix_decision_url", "decision", ["url"])
    with op.batch_alter_table("url") as batch:
        batch.add_column(
            sa.Column("ignored", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.drop_column("ignored")
    op.drop_index("ix_decision_url", "decision")
    op.drop_index("ix_decision_kind", "decision")
    op.drop_table("decision")
