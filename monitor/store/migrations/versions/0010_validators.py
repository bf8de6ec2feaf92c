"""Validators of the last good answer, for conditional re-checks

Revision ID: 0010
Revises: 0009

- `url.etag`, `url.last_modified`: the ETag and Last-Modified of the last good (200, not
  redirected) answer. The next check sends them as If-None-Match / If-Modified-Since; a
  304 keeps the verdict and counts as "unchanged". A failing check clears them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.add_column(sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(
            sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.drop_column("last_modified")
        batch.drop_column("etag")
