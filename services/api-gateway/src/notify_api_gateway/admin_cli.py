"""``notify-admin``: manage services, API keys and templates from the command line.

``notify-admin demo --env-file .local/demo.env`` sets up (idempotently) a live demo service with a
key of each type and one template per channel, and writes them in shell syntax.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path

from notify_api_gateway.admin_store import AdminStore
from notify_api_gateway.settings import ApiSettings
from notify_common.db import create_engine
from notify_common.secrets import SecretBox

DEMO_SERVICE = "Demo service"
DEMO_TEMPLATES = {
    "sms": ("Demo text message", None, "Hello ((name)), this is your first message from the platform."),
    "email": (
        "Demo email",
        "Hello ((name))",
        "# Welcome\n\nHello ((name)),\n\nThis is your first email from the platform.\n\n* it works\n",
    ),
    "letter": (
        "Demo letter",
        "Your first letter",
        "Dear ((name)),\n\nThis is your first letter from the platform.",
    ),
}


def store(settings: ApiSettings) -> AdminStore:
    return AdminStore(create_engine(settings, pool_size=1), SecretBox(settings.secret_key.get_secret_value()))


async def demo(settings: ApiSettings) -> dict[str, str]:
    admin = store(settings)
    try:
        service_id = await admin.service_id_by_name(DEMO_SERVICE)
        if service_id is None:
            service_id = await admin.create_service(DEMO_SERVICE, live=True, email_from="demo.service")
        env = {"NOTIFY_API_URL": settings.api_base_url, "NOTIFY_SERVICE_ID": service_id}
        # Keys are shown once, so every run makes fresh ones (named by the run) and writes them.
        stamp = str(int(asyncio.get_running_loop().time() * 1000))
        for key_type, label in (("normal", "LIVE"), ("team", "TEAM"), ("test", "TEST")):
            key = await admin.create_api_key(service_id, f"demo {label.lower()} {stamp}", key_type)
            env[f"NOTIFY_API_KEY_{label}"] = key.combined
        for channel, (name, subject, content) in DEMO_TEMPLATES.items():
            template_id = await admin.template_id_by_name(service_id, name)
            if template_id is None:
                template_id = await admin.create_template(
                    service_id,
                    name=name,
                    template_type=channel,
                    content=content,
                    subject=subject,
                    postage="second" if channel == "letter" else None,
                    created_by="notify-admin demo",
                )
            env[f"NOTIFY_{channel.upper()}_TEMPLATE_ID"] = template_id
    finally:
        await admin.engine.dispose()
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Shell syntax, readable by the owner only: it holds API keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    path.chmod(0o600)


async def create_key(settings: ApiSettings, service_id: str, name: str, key_type: str) -> str:
    admin = store(settings)
    try:
        return (await admin.create_api_key(service_id, name, key_type)).combined
    finally:
        await admin.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="notify-admin", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="set up the demo service and write its credentials")
    p_demo.add_argument("--env-file", type=Path, default=Path(".local/demo.env"))
    p_key = sub.add_parser("create-api-key", help="create an API key and print it (shown once)")
    p_key.add_argument("--service-id", required=True)
    p_key.add_argument("--name", required=True)
    p_key.add_argument("--type", choices=("normal", "team", "test"), default="normal")
    args = parser.parse_args(argv)
    settings = ApiSettings()
    if args.command == "demo":
        env = asyncio.run(demo(settings))
        write_env_file(args.env_file, env)
        print(f"demo service {env['NOTIFY_SERVICE_ID']}: credentials written to {args.env_file}")
    elif args.command == "create-api-key":
        print(asyncio.run(create_key(settings, args.service_id, args.name, args.type)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
