"""Template folders of the admin web console (migration ``0008_template_folders``), sharing
the admin-api's ``tables.metadata``. Configuration data owned by the admin API's ``console_folders`` routes.

* ``template_folders``: a service's folders; ``parent_id`` nests one folder in another (``NULL``
  at the top). A folder is deleted only when nothing is in it.
* ``template_folder_templates``: which folder a template is in; a template with no row here is at
  the top. Kept beside ``templates`` rather than in it, so template versions stay as they are.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

template_folders = Table(
    "template_folders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("parent_id", ID, ForeignKey("template_folders.id"), nullable=True, index=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)

template_folder_templates = Table(
    "template_folder_templates",
    metadata,
    Column("template_id", ID, ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True),
    Column("folder_id", ID, ForeignKey("template_folders.id"), nullable=False),
    Column("service_id", ID, nullable=False),
)
Index("ix_template_folder_templates_folder", template_folder_templates.c.folder_id)
