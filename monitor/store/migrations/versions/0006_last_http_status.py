"""url.last_status -> url.last_http_status

Revision ID: 0006
Revises: 0005

`url.last_status` held the HTTP code of the latest check, beside `url.status` (the
confirmed status: alive, failing, dead...), while `url_check` calls the same code
`http_status`. One name for one thing: the column says what it holds.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.alter_column("last_status", new_column_name="last_http_status")


def downgrade() -> None:
    with op.batch_alter_table("url") as batch:
        batch.alter_column("last_http_status", new_column_name="last_status")
