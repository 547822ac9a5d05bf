"""branding: the pools of email and letter brandings platform admins keep, and each service's
choice of one of each (owned by the admin-api); the senders learn a service's branding from the
requested events, never from these tables

Revision ID: 0020_branding
Revises: 0019_unsubscribe
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_branding"
down_revision: str | None = "0019_unsubscribe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE email_branding (
            id uuid PRIMARY KEY,
            name varchar(255) NOT NULL UNIQUE,
            brand_type varchar(16) NOT NULL
                CHECK (brand_type IN ('govuk', 'org', 'both', 'org_banner')),
            colour varchar(7),
            text varchar(255),
            logo varchar(255),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz
        )""")
    op.execute("""
        CREATE TABLE letter_branding (
            id uuid PRIMARY KEY,
            name varchar(255) NOT NULL UNIQUE,
            logo varchar(255) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz
        )""")
    op.execute("""
        CREATE TABLE service_branding (
            service_id uuid PRIMARY KEY REFERENCES services (id),
            email_branding_id uuid REFERENCES email_branding (id),
            no_email_branding boolean NOT NULL DEFAULT false,
            letter_branding_id uuid REFERENCES letter_branding (id),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS service_branding")
    op.execute("DROP TABLE IF EXISTS letter_branding")
    op.execute("DROP TABLE IF EXISTS email_branding")
