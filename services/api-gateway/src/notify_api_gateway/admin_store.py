"""Writes configuration data: services, API keys, templates (with versions), team members and the
guest list. Used by the ``notify-admin`` CLI (and, later, the admin API)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db.tables import api_keys, guest_list, services, team_members, template_versions, templates
from notify_common.secrets import SecretBox

KEY_TYPES = ("normal", "team", "test")
TEMPLATE_TYPES = ("sms", "email", "letter")


@dataclass(frozen=True)
class CreatedKey:
    id: str
    key_type: str
    combined: str  # shown once: "{name}-{service_id}-{secret}"


def combined_key(name: str, service_id: str, secret: str) -> str:
    """The key as Notify's clients expect it; spaces in the name become underscores."""
    safe_name = re.sub(r"\s", "_", name)
    return f"{safe_name}-{service_id}-{secret}"


class AdminStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self.engine = engine
        self._box = box

    async def service_id_by_name(self, name: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(services.c.id).where(services.c.name == name))).first()
        return str(row[0]) if row else None

    async def create_service(
        self,
        name: str,
        *,
        live: bool,
        email_from: str,
        permissions: tuple[str, ...] = ("sms", "email", "letter", "international_sms"),
    ) -> str:
        service_id = str(uuid.uuid4())
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(services).values(
                    id=service_id,
                    name=name,
                    restricted=not live,
                    email_from=email_from,
                    permissions=list(permissions),
                )
            )
        return service_id

    async def create_api_key(self, service_id: str, name: str, key_type: str) -> CreatedKey:
        if key_type not in KEY_TYPES:
            raise ValueError(f"key type must be one of {', '.join(KEY_TYPES)}")
        key_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(api_keys).values(
                    id=key_id,
                    service_id=service_id,
                    name=name,
                    key_type=key_type,
                    secret=self._box.seal(secret),
                )
            )
        return CreatedKey(id=key_id, key_type=key_type, combined=combined_key(name, service_id, secret))

    async def create_template(
        self,
        service_id: str,
        *,
        name: str,
        template_type: str,
        content: str,
        subject: str | None = None,
        postage: str | None = None,
        created_by: str | None = None,
    ) -> str:
        if template_type not in TEMPLATE_TYPES:
            raise ValueError(f"template type must be one of {', '.join(TEMPLATE_TYPES)}")
        template_id = str(uuid.uuid4())
        values = {
            "id": template_id,
            "service_id": service_id,
            "version": 1,
            "name": name,
            "template_type": template_type,
            "content": content,
            "subject": subject,
            "postage": postage if template_type == "letter" else None,
            "created_by": created_by,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(templates).values(**values))
            await conn.execute(
                insert(template_versions).values(
                    **{k: v for k, v in values.items() if k != "version"}, version=1
                )
            )
        return template_id

    async def template_id_by_name(self, service_id: str, name: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(templates.c.id).where(
                        and_(templates.c.service_id == service_id, templates.c.name == name)
                    )
                )
            ).first()
        return str(row[0]) if row else None

    async def add_team_member(self, service_id: str, email_address: str, mobile_number: str | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(team_members).values(
                    service_id=service_id, email_address=email_address, mobile_number=mobile_number
                )
            )

    async def add_to_guest_list(self, service_id: str, recipient_type: str, recipient: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(guest_list).values(
                    service_id=service_id, recipient_type=recipient_type, recipient=recipient
                )
            )
