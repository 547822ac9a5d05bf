"""Prepares the ingest benchmark: a database of its own (migrated), a live service with limits
high enough not to be the thing measured, and JWTs for the whole run (one per 10 s, each valid for
±30 s), written for wrk's Lua script. Prints shell assignments for run.sh."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import jwt
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.services import unlimited_service
from notify_admin_api.store import AdminStore
from notify_common.db import create_engine as create_async_engine
from notify_common.db.migrate import upgrade
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings

BULK_ROWS = 20_000


async def make_service(settings: CommonSettings) -> tuple[str, str, str]:
    box = SecretBox(settings.secret_key.get_secret_value())
    store = AdminStore(create_async_engine(settings, pool_size=1), box)
    try:
        service_id = await unlimited_service(store, f"bench-{int(time.time())}", email_from="bench")
        key = await store.create_api_key(service_id, "bench", "normal")
        template_id = await store.create_template(
            service_id, name="bench", template_type="sms", content="Your code is ((code))"
        )
    finally:
        await store.engine.dispose()
    return service_id, key.combined[-36:], template_id


def main() -> int:
    admin_url, database, out_dir, seconds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    engine = create_engine(f"{admin_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    engine.dispose()
    url = f"{admin_url}/{database}"
    upgrade(url)
    settings = CommonSettings(database_url=url)
    service_id, secret, template_id = asyncio.run(make_service(settings))
    start = int(time.time())
    tokens = [
        (start + step, jwt.encode({"iss": service_id, "iat": start + step}, secret, "HS256"))
        for step in range(0, seconds + 600, 10)
    ]
    lua_tokens = ",\n".join(f'  {{{iat}, "{tok}"}}' for iat, tok in tokens)
    (out_dir / "tokens.lua").write_text(f"return {{\n{lua_tokens}\n}}\n")
    body = {"phone_number": "07700900123", "template_id": template_id, "personalisation": {"code": "12345"}}
    (out_dir / "body.json").write_text(json.dumps(body))
    rows = [["phone number", "code"]] + [[f"07700 900{n % 1000:03d}", str(n)] for n in range(BULK_ROWS)]
    (out_dir / "bulk.json").write_text(
        json.dumps({"template_id": template_id, "name": "bench", "rows": rows})
    )
    print(f"BENCH_SERVICE_ID={service_id}\nBENCH_TEMPLATE_ID={template_id}\nBENCH_DATABASE_URL={url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
