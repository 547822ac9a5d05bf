"""Entry point: ``notify-admin-console`` serves the console; ``notify-admin-console create-user``
makes an account (the first platform admin, for example) through the admin API.

With ``--exist-ok`` an account that exists already is not an error; given ``--mobile`` and that
account's own password, its mobile number becomes the one given (so ``make up`` can move the demo
admin of an earlier install to a number whose texts really reach the provider simulator)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import httpx

from notify_admin_console.api import AdminApi, AdminApiError
from notify_admin_console.app import create_app
from notify_admin_console.security import PERMISSIONS
from notify_admin_console.settings import ConsoleSettings
from notify_common.http import serve_http


async def create_user(
    settings: ConsoleSettings,
    args: argparse.Namespace,
    password: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    assert settings.admin_api_token is not None
    async with httpx.AsyncClient(base_url=settings.admin_api_url, timeout=30, transport=transport) as client:
        api = AdminApi(client, settings.admin_api_token.get_secret_value(), client)
        body = {
            "name": args.name,
            "email_address": args.email,
            "mobile_number": args.mobile,
            "password": password,
            "auth_type": args.auth_type,
            "platform_admin": args.platform_admin,
        }
        try:
            user_id = (await api.post("/admin/console/users", body))["id"]
        except AdminApiError as exc:
            if exc.status_code != 409 or not args.exist_ok:
                raise
            print(f"{args.email} already has an account")
            if args.mobile:
                await _update_mobile(api, args.email, password, args.mobile)
            return ""
        for service_id in args.service_id or []:
            await api.call(
                "PUT",
                f"/admin/console/services/{service_id}/users/{user_id}",
                json={"permissions": list(PERMISSIONS)},
            )
        return str(user_id)


async def _update_mobile(api: AdminApi, email: str, password: str, mobile: str) -> None:
    try:
        person = await api.post(
            "/admin/console/users/verify-password", {"email_address": email, "password": password}
        )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        print("its password is not the one given, so its mobile number is left as it is")
        return
    await api.call("PATCH", f"/admin/console/users/{person['id']}", json={"mobile_number": mobile})
    print(f"its mobile number is now {mobile}")


def parser() -> argparse.ArgumentParser:
    """The command line of ``notify-admin-console`` when it is given arguments."""
    parser = argparse.ArgumentParser(prog="notify-admin-console")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "create-user", help="create a console account (password from NOTIFY_CONSOLE_PASSWORD or a prompt)"
    )
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--mobile")
    p.add_argument("--auth-type", choices=["sms_auth", "email_auth"], default="sms_auth")
    p.add_argument("--platform-admin", action="store_true")
    p.add_argument("--service-id", action="append", help="make them a member with every permission")
    p.add_argument(
        "--exist-ok",
        action="store_true",
        help="an account with this email already there is not an error; given --mobile and the "
        "account's own password, its mobile number is set to --mobile",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    settings = ConsoleSettings()
    if not args_in:
        return serve_http(
            "admin-console",
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_level=settings.log_level,
            grace_seconds=5,
        )
    args = parser().parse_args(args_in)
    import os

    password = os.environ.get("NOTIFY_CONSOLE_PASSWORD") or getpass.getpass(
        "Password (8 or more characters): "
    )
    try:
        user_id = asyncio.run(create_user(settings, args, password))
    except AdminApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if user_id:
        print(user_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
