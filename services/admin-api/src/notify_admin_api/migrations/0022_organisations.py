"""organisations: the bodies that run services, their email domains and team members, the
agreement they accept before going live, and each service's organisation
(notify_admin_api.tables.organisation_records; owned by the admin-api)

Revision ID: 0022_organisations
Revises: 0021_languages
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_organisations"
down_revision: str | None = "0021_languages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE organisations (
            id uuid PRIMARY KEY,
            name varchar(255) NOT NULL UNIQUE,
            organisation_type varchar(32) NOT NULL,
            agreement_signed boolean NOT NULL DEFAULT false,
            agreement_signed_by_id uuid,
            agreement_signed_at timestamptz,
            agreement_signed_version varchar(16),
            agreement_signed_name varchar(255),
            agreement_signed_role varchar(255),
            can_approve_own_go_live_requests boolean NOT NULL DEFAULT false,
            archived boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("""
        CREATE TABLE organisation_domains (
            domain varchar(255) PRIMARY KEY,
            organisation_id uuid NOT NULL REFERENCES organisations (id),
            created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute(
        "CREATE INDEX ix_organisation_domains_organisation_id ON organisation_domains (organisation_id)"
    )
    op.execute("""
        CREATE TABLE organisation_members (
            organisation_id uuid NOT NULL REFERENCES organisations (id),
            user_id uuid NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (organisation_id, user_id)
        )""")
    op.execute("CREATE INDEX ix_organisation_members_user_id ON organisation_members (user_id)")
    op.execute("ALTER TABLE services ADD COLUMN organisation_id uuid REFERENCES organisations (id)")
    op.execute("CREATE INDEX ix_services_organisation_id ON services (organisation_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_services_organisation_id")
    op.execute("ALTER TABLE services DROP COLUMN IF EXISTS organisation_id")
    op.execute("DROP TABLE IF EXISTS organisation_members")
    op.execute("DROP TABLE IF EXISTS organisation_domains")
    op.execute("DROP TABLE IF EXISTS organisations")
