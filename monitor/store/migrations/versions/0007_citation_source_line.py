"""citation.source_line: where on the page a citation is

Revision ID: 0007
Revises: 0006

The line of the page a citation sits on (`monitor.pages.sourcemap`), so the report can tell a
maintainer where to fix a link; ingest, report and `patch` locate citations the same way.
Empty for citations stored before this revision until their page is ingested again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.add_column(sa.Column("source_line", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.drop_column("source_line")
