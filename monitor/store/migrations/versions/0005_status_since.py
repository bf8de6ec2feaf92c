"""url.status_since, citation.stamped_on / verified_on, and indexes for reports at scale

Revision ID: 0005
Revises: 0004

A weekly report over a million URLs cannot replay five million checks to learn which links
died this week; each URL now carries the time its current status began, kept by every
batch of results, and the report asks the index. Likewise each citation carries its newest
stamp's date and its newest verified access, so "access dates to refresh" is one comparison
per row instead of parsing a million JSON arrays.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.add_column(
            sa.Column("status_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # the start of each URL's latest run of checks that ended in its current status
    op.execute(
        """
        UPDATE url SET status_since = (
            SELECT min(c.checked_at) FROM url_check c
            WHERE c.url_id = url.id AND c.status = url.status AND NOT EXISTS (
                SELECT 1 FROM url_check c2
                WHERE c2.url_id = url.id AND c2.checked_at > c.checked_at
                  AND (c2.status IS NULL OR c2.status <> url.status)
            )
        )
        """
    )
    op.create_index("ix_url_status_since", "url", ["status", "status_since"])
    with op.batch_alter_table("citation") as batch:
        batch.add_column(sa.Column("stamped_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("verified_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        newest = "(SELECT max((e->>'date')::date) FROM json_array_elements(stamps) e)"
    else:
        newest = "(SELECT max(json_extract(e.value, '$.date')) FROM json_each(stamps) e)"
    op.execute(f"UPDATE citation SET stamped_on = {newest}")
    op.execute(
        "UPDATE citation SET verified_on = (SELECT max(accessed_on) FROM verified_access v"
        " WHERE v.citation_id = citation.id)"
    )
    op.create_index("ix_url_check_checked_at", "url_check", ["checked_at"])


def downgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.drop_column("verified_on")
        batch.drop_column("stamped_on")
    op.drop_index("ix_url_check_checked_at", table_name="url_check")
    op.drop_index("ix_url_status_since", table_name="url")
    with op.batch_alter_table("url") as batch:
        batch.drop_column("status_since")
