"""Quoted passages and the evidence behind each verdict

Revision ID: 0008
Revises: 0007

- `url_check.passage_found`: whether the page still carried the passages its citations
  quote (NULL when they quote none), and `url_check.evidence`: why the verdict (title score
  and where, sibling similarity, refresh target, content type, the missing passages).
- `citation.passage_gone_since`: the day a check first found the cited page without the
  citation's quoted passage; such a citation gets no new verified access date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("url_check") as batch:
        batch.add_column(sa.Column("passage_found", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
    with op.batch_alter_table("citation") as batch:
        batch.add_column(sa.Column("passage_gone_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.drop_column("passage_gone_since")
    with op.batch_alter_table("url_check") as batch:
        batch.drop_column("evidence")
        batch.drop_column("passage_found")
