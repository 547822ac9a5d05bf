"""languages: a template's default language and its variants in other languages, and the Welsh
part of a bilingual letter, on templates and each of their versions; the language each
notification was sent in, on the notifications projection

Revision ID: 0021_languages
Revises: 0020_branding
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0021_languages"
down_revision: str | None = "0020_branding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEMPLATE_COLUMNS = (
    ("language", sa.String(35), False, sa.text("'en'")),
    ("language_variants", JSONB(), False, sa.text("'{}'::jsonb")),
    ("letter_languages", sa.String(32), True, None),
    ("letter_welsh_subject", sa.Text(), True, None),
    ("letter_welsh_content", sa.Text(), True, None),
)


def upgrade() -> None:
    for table in ("templates", "template_versions"):
        for name, type_, nullable, default in TEMPLATE_COLUMNS:
            op.add_column(table, sa.Column(name, type_, nullable=nullable, server_default=default))
    # Letters written before bilingual letters were English only.
    op.execute("UPDATE templates SET letter_languages = 'english' WHERE template_type = 'letter'")
    op.execute("UPDATE template_versions SET letter_languages = 'english' WHERE template_type = 'letter'")
    op.add_column("notifications", sa.Column("language", sa.String(35), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "language")
    for table in ("template_versions", "templates"):
        for name, *_ in reversed(TEMPLATE_COLUMNS):
            op.drop_column(table, name)
