"""A reference's other links to its work

Revision ID: 0011
Revises: 0010

- `citation.alternates`: the reference's other links to the same work (its DOI, PubMed,
  Google Scholar buttons), as written; the citation's URL is the one checked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.add_column(sa.Column("alternates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.drop_column("alternates")
