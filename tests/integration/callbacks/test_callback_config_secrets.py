"""The callback configuration's secrets (``CallbackStore.destinations``) against PostgreSQL: each
sealed secret is opened once while it stays configured, however often the configuration is
reloaded; a replaced secret is opened, and read, at the next load; a removed one is forgotten."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.store import CallbackStore
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings
from tests.support.lifecycle import add_callback, add_service


class CountingBox(SecretBox):
    def __init__(self, secret_key: str) -> None:
        super().__init__(secret_key)
        self.opened: list[str] = []

    def open(self, sealed: str) -> str:
        self.opened.append(sealed)
        return super().open(sealed)


async def test_a_secret_is_opened_once_while_configured_again_when_replaced_and_forgotten_when_removed(
    engine: AsyncEngine, settings: CommonSettings
) -> None:
    service = await add_service(engine)
    await add_callback(
        engine, settings, service, "delivery_status", "https://a.example/cb", "token-1", "sign-1"
    )
    box = CountingBox(settings.secret_key.get_secret_value())
    store = CallbackStore(engine, box)
    key = (service, "delivery_status")
    async with engine.connect() as conn:
        token, signing = (
            await conn.execute(
                text("SELECT bearer_token, signing_secret FROM service_callback_api WHERE service_id = :s"),
                {"s": service},
            )
        ).one()

    first = await store.destinations()
    assert (first[key].bearer_token, first[key].signing_secret) == ("token-1", "sign-1")
    assert box.opened.count(token) == 1
    assert box.opened.count(signing) == 1
    opened = len(box.opened)
    again = await store.destinations()
    assert again[key] == first[key]
    assert len(box.opened) == opened  # nothing opened again: every sealed value was known

    replaced = box.seal("token-2")
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE service_callback_api SET bearer_token = :t WHERE service_id = :s"),
            {"t": replaced, "s": service},
        )
    after = await store.destinations()
    assert (after[key].bearer_token, after[key].signing_secret) == ("token-2", "sign-1")
    assert box.opened[opened:] == [replaced]

    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM service_callback_api WHERE service_id = :s"), {"s": service})
    assert key not in await store.destinations()
    async with engine.begin() as conn:  # the same sealed values configured again: opened again
        await conn.execute(
            text(
                "INSERT INTO service_callback_api (id, service_id, callback_type, url, bearer_token,"
                " signing_secret) VALUES (gen_random_uuid(), :s, 'delivery_status', 'https://a.example/cb',"
                " :t, :g)"
            ),
            {"s": service, "t": replaced, "g": signing},
        )
    back = await store.destinations()
    assert (back[key].bearer_token, back[key].signing_secret) == ("token-2", "sign-1")
    assert box.opened[opened + 1 :] == [replaced, signing]
