"""``notify-admin``: manage services, API keys and templates from the command line.

``notify-admin demo --env-file .local/demo.env`` sets up (idempotently) a live demo service with a
key of each type and one template per channel, and writes them in shell syntax.
``notify-admin send-csv FILE --template ID --service ID`` sends a CSV job and shows its progress.
``notify-admin organisations create|list|add-domain|add-service`` manages organisations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from notify_admin_api import organisation_cli
from notify_admin_api.legacy_config import IssuedToken, LegacyConfig
from notify_admin_api.sending_limits import AnnualLimitsStore
from notify_admin_api.service_history import Actor, ServiceHistory, change, record
from notify_admin_api.settings import AdminApiSettings
from notify_admin_api.store import AdminError, AdminStore, CreatedKey, new_signing_secret
from notify_common.annual_limits import CHANNELS
from notify_common.confirm import confirm
from notify_common.db import create_engine
from notify_common.jobs.direct import DirectJobs
from notify_common.jobs.sendfile import SendOptions, send_file
from notify_common.outbound import parse_networks
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


def store(settings: AdminApiSettings) -> AdminStore:
    return AdminStore(
        create_engine(settings, pool_size=1),
        SecretBox(settings.secret_key.get_secret_value()),
        parse_networks(settings.callback_allowed_networks),
        admin_email=settings.acting_admin_email,
    )


async def demo(settings: AdminApiSettings) -> dict[str, str]:
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


async def run_admin(settings: AdminApiSettings, call: Callable[[AdminStore], Awaitable[Any]]) -> Any:
    admin = store(settings)
    try:
        return await call(admin)
    finally:
        await admin.engine.dispose()


def with_history(
    call: Callable[[AdminStore], Awaitable[Any]], args: argparse.Namespace
) -> Callable[[AdminStore], Awaitable[Any]]:
    """``call``, then the change it made kept in the service's history."""

    async def changing(admin: AdminStore) -> Any:
        result = await call(admin)
        await _keep_history(admin, args, result)
        return result

    return changing


# What a command's history entry names of its arguments: settings only, never a secret, a
# recipient or a template's text (those are "changed").
_HISTORY_ARGS = (
    "name", "email_from", "live", "trial", "permissions", "rate_limit", "sms_message_limit",
    "email_message_limit", "letter_message_limit", "international_sms_message_limit", "sms_annual_limit",
    "email_annual_limit", "letter_annual_limit", "link", "clear",
    "days", "type", "kind", "default", "url", "postage", "subject", "number", "provider", "alpha", "beta",
)  # fmt: skip
_CHANGED_ARGS = ("content", "bearer_token", "email", "mobile", "value")
CLI_ACTOR = Actor("cli", "notify-admin")


async def _keep_history(admin: AdminStore, args: argparse.Namespace, result: Any) -> None:
    """One entry of the service's history for a command that changed a service, written straight
    into ``service_history`` (the command line has no Kafka of its own to publish through)."""
    given = vars(args)
    service_id = given.get("service_id") or (result if args.command == "create-service" else None)
    if not isinstance(service_id, str):
        return
    changes = [change(k, None, given[k]) for k in _HISTORY_ARGS if given.get(k) not in (None, False)]
    changes += [change(k, None, "changed") for k in _CHANGED_ARGS if given.get(k)]
    if args.command in ("create-api-key", "set-callback-signing-secret", "create-alpha-token"):
        changes.append(change("secret", None, "changed"))
    subject = next((given[k] for k in ("key_id", "template_id", "token_id") if given.get(k)), None)
    entry = record(service_id, f"notify-admin {args.command}", CLI_ACTOR, subject_id=subject, changes=changes)
    await ServiceHistory(admin.engine, producer=None).store([entry])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notify-admin", description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="set up the demo service and write its credentials")
    p.add_argument("--env-file", type=Path, default=Path(".local/demo.env"))
    p = sub.add_parser("create-service", help="create a service (trial unless --live); prints its id")
    p.add_argument("--name", required=True)
    p.add_argument("--email-from", required=True)
    p.add_argument("--live", action="store_true")
    p.add_argument("--permissions", default="sms,email,letter")
    p = sub.add_parser("set-live", help="take a service live (or back to trial with --trial)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--trial", action="store_true")
    p = sub.add_parser("set-limits", help="rate limit and daily limits of a service")
    p.add_argument("--service-id", required=True)
    for name in ("rate-limit", "sms-message-limit", "email-message-limit", "letter-message-limit"):
        p.add_argument(f"--{name}", type=int)
    p.add_argument("--international-sms-message-limit", type=int)
    p = sub.add_parser("set-annual-limits", help="annual sending limits of a service, per channel")
    p.add_argument("--service-id", required=True)
    for channel in CHANNELS:
        p.add_argument(f"--{channel}-annual-limit", type=int)
    p = sub.add_parser(
        "set-contact-link",
        help="how people sent files can contact the service (a URL, email address or phone number)",
    )
    p.add_argument("--service-id", required=True)
    link = p.add_mutually_exclusive_group(required=True)
    link.add_argument("--link", help="e.g. https://www.example.gov.uk/contact, help@example.gov.uk")
    link.add_argument("--clear", action="store_true", help="remove it (files can no longer be sent)")
    p = sub.add_parser("set-retention", help="days notifications are kept, per type")
    p.add_argument("--service-id", required=True)
    p.add_argument("--type", choices=("sms", "email", "letter"), required=True)
    p.add_argument("--days", type=int, required=True)
    p = sub.add_parser("create-api-key", help="create an API key and print it (shown once)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--type", choices=("normal", "team", "test"), default="normal")
    p = sub.add_parser("revoke-api-key", help="revoke an API key (asks first unless --yes)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--key-id", required=True)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p = sub.add_parser("create-template", help="create a template; prints its id")
    p.add_argument("--service-id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--type", choices=("sms", "email", "letter"), required=True)
    p.add_argument("--content", required=True)
    p.add_argument("--subject")
    p.add_argument("--postage", choices=("first", "second", "economy"))
    p.add_argument("--created-by", help="email address recorded as the creator (default NOTIFY_ADMIN_EMAIL)")
    p = sub.add_parser("update-template", help="change a template (a new version); prints the version")
    p.add_argument("--service-id", required=True)
    p.add_argument("--template-id", required=True)
    p.add_argument("--name")
    p.add_argument("--content")
    p.add_argument("--subject")
    p.add_argument("--created-by", help="email address recorded as the editor (default NOTIFY_ADMIN_EMAIL)")
    p = sub.add_parser("archive-template", help="archive (soft-delete) a template (asks first unless --yes)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--template-id", required=True)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p = sub.add_parser("add-team-member", help="add a team member")
    p.add_argument("--service-id", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--mobile")
    p = sub.add_parser("set-guest-list", help="replace the guest list (at most 5 of each)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--email", action="append", default=[])
    p.add_argument("--mobile", action="append", default=[])
    p = sub.add_parser("add-sender", help="an SMS sender id, email reply-to or letter contact block")
    p.add_argument("--service-id", required=True)
    p.add_argument("--kind", choices=("sms_sender", "email_reply_to", "letter_contact"), required=True)
    p.add_argument("--value", required=True)
    p.add_argument("--default", action="store_true")
    p = sub.add_parser("set-callback", help="a callback URL and its bearer token")
    p.add_argument("--service-id", required=True)
    p.add_argument(
        "--type", choices=("delivery_status", "complaint", "inbound_sms", "returned_letter"), required=True
    )
    p.add_argument("--url", required=True)
    p.add_argument("--bearer-token", required=True)
    p = sub.add_parser(
        "set-callback-signing-secret",
        help="set, rotate or remove the Standard Webhooks secret a callback is signed with",
        description="A new secret replaces the old one at once. --generate prints the new secret once.",
    )
    p.add_argument("--service-id", required=True)
    p.add_argument(
        "--type", choices=("delivery_status", "complaint", "inbound_sms", "returned_letter"), required=True
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--generate", action="store_true", help="a new random whsec_ secret, printed once")
    how.add_argument("--stdin", action="store_true", help="read the secret from standard input")
    how.add_argument("--remove", action="store_true", help="send callbacks unsigned again")
    p = sub.add_parser("add-inbound-number", help="an inbound number, optionally for a service")
    p.add_argument("--number", required=True)
    p.add_argument("--provider", required=True)
    p.add_argument("--service-id")
    p = sub.add_parser("set-legacy-api", help="turn the alpha and/or beta API on or off for a service")
    p.add_argument("--service-id", required=True)
    p.add_argument("--alpha", choices=("on", "off"))
    p.add_argument("--beta", choices=("on", "off"))
    p = sub.add_parser("create-alpha-token", help="an alpha API bearer token; printed once")
    p.add_argument("--service-id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--type", choices=("normal", "team", "test"), default="normal")
    p = sub.add_parser("revoke-alpha-token", help="revoke an alpha API token (asks first unless --yes)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--token-id", required=True)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _send_csv_parser(sub)
    organisation_cli.add_parser(sub)
    return parser


def _send_csv_parser(sub: Any) -> None:
    p = sub.add_parser("send-csv", help="send a CSV file as a job, with progress bars and a summary")
    p.add_argument("file", type=Path, help="a UTF-8 CSV: a recipient column and one column per placeholder")
    p.add_argument("--template", required=True, help="template id")
    p.add_argument("--service", "--service-id", dest="service_id", required=True, help="service id")
    p.add_argument("--schedule", "--scheduled-for", dest="scheduled_for", help="ISO 8601, up to 7 days ahead")
    p.add_argument("--wait-scheduled", action="store_true", help="watch a scheduled job until it is done")
    p.add_argument("--no-wait", action="store_true", help="stop once the file is accepted")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to watch (default 900)")
    p.add_argument("--poll-interval", type=float, default=1.0)


def send_csv(settings: AdminApiSettings, args: argparse.Namespace, console: Console | None = None) -> int:
    """Exit status: 0 sent (or accepted when not watching), 1 refused or failed, 3 still going."""
    options = SendOptions(
        file=args.file,
        template=args.template,
        scheduled_for=args.scheduled_for,
        wait_scheduled=args.wait_scheduled,
        no_wait=args.no_wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 1
    backend = DirectJobs(settings, args.service_id, created_by="notify-admin")
    try:
        return send_file(backend, options, console or Console())
    finally:
        backend.close()


def _command(args: argparse.Namespace) -> Callable[[AdminStore], Awaitable[Any]]:
    c = args.command
    if c == "create-service":
        return lambda a: a.create_service(
            args.name,
            live=args.live,
            email_from=args.email_from,
            permissions=tuple(args.permissions.split(",")),
        )
    if c == "set-live":
        return lambda a: a.update_service(args.service_id, {"live": not args.trial})
    if c == "set-limits":
        names = ("rate_limit", "sms_message_limit", "email_message_limit", "letter_message_limit")
        changes = {n: getattr(args, n) for n in (*names, "international_sms_message_limit")}
        return lambda a: a.update_service(
            args.service_id, {k: v for k, v in changes.items() if v is not None}
        )
    if c == "set-annual-limits":
        annual = {ch: getattr(args, f"{ch}_annual_limit") for ch in CHANNELS}
        return lambda a: AnnualLimitsStore(a.engine).set_limits(
            args.service_id, {ch: n for ch, n in annual.items() if n is not None}
        )
    if c == "set-contact-link":
        return lambda a: a.update_service(
            args.service_id, {"contact_link": None if args.clear else args.link}
        )
    if c == "set-retention":
        return lambda a: a.set_retention(args.service_id, args.type, args.days)
    if c == "create-api-key":
        return lambda a: _combined(a.create_api_key(args.service_id, args.name, args.type))
    if c == "revoke-api-key":
        return lambda a: a.revoke_api_key(args.service_id, args.key_id)
    if c == "create-template":
        return lambda a: a.create_template(
            args.service_id,
            name=args.name,
            template_type=args.type,
            content=args.content,
            subject=args.subject,
            postage=args.postage,
            created_by=args.created_by,
        )
    if c == "update-template":
        changes = {
            k: getattr(args, k)
            for k in ("name", "content", "subject", "created_by")
            if getattr(args, k) is not None
        }
        return lambda a: a.update_template(args.service_id, args.template_id, changes)
    if c == "archive-template":
        return lambda a: a.archive_template(args.service_id, args.template_id)
    if c == "add-team-member":
        return lambda a: a.add_team_member(args.service_id, args.email, args.mobile)
    if c == "set-guest-list":
        return lambda a: a.set_guest_list(args.service_id, args.email, args.mobile)
    if c == "add-sender":
        return lambda a: a.add_identity(args.service_id, args.kind, args.value, is_default=args.default)
    if c == "set-callback":
        return lambda a: a.set_callback(args.service_id, args.type, args.url, args.bearer_token)
    if c == "set-callback-signing-secret":
        return _signing_secret_command(args)
    if c == "add-inbound-number":
        return lambda a: a.add_inbound_number(args.number, args.provider, args.service_id)
    if c in ("set-legacy-api", "create-alpha-token", "revoke-alpha-token"):
        return _legacy_command(args)
    if c == "organisations":
        return organisation_cli.command(args)
    raise SystemExit(f"unknown command {c}")


def _signing_secret_command(args: argparse.Namespace) -> Callable[[AdminStore], Awaitable[Any]]:
    if args.remove:
        return lambda a: a.set_callback_signing_secret(args.service_id, args.type, None)
    # Never from an argument: it would stay in the shell's history and the process list.
    secret = new_signing_secret() if args.generate else sys.stdin.read().strip()

    async def change(a: AdminStore) -> str | None:
        await a.set_callback_signing_secret(args.service_id, args.type, secret)
        return secret if args.generate else None

    return change


def _legacy_command(args: argparse.Namespace) -> Callable[[AdminStore], Awaitable[Any]]:
    c = args.command
    if c == "set-legacy-api":
        alpha, beta = ({"on": True, "off": False}.get(v) for v in (args.alpha, args.beta))
        return lambda a: LegacyConfig(a.engine).set_switches(args.service_id, alpha=alpha, beta=beta)
    if c == "create-alpha-token":
        return lambda a: _token(LegacyConfig(a.engine).issue_token(args.service_id, args.name, args.type))
    return lambda a: LegacyConfig(a.engine).revoke_token(args.service_id, args.token_id)


async def _token(issued: Awaitable[IssuedToken]) -> str:
    return (await issued).token


async def _combined(created: Awaitable[CreatedKey]) -> str:
    return (await created).combined


# Commands that cannot be undone from the command line, and what each asks before acting.
_DESTRUCTIVE = {
    "revoke-api-key": "Revoke API key {key_id} of service {service_id}? Clients using it are refused.",
    "archive-template": "Archive template {template_id} of service {service_id}? It can no longer be sent.",
    "revoke-alpha-token": "Revoke alpha token {token_id} of {service_id}? Clients using it are refused.",
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = AdminApiSettings()
    if args.command == "demo":
        env = asyncio.run(demo(settings))
        write_env_file(args.env_file, env)
        print(f"demo service {env['NOTIFY_SERVICE_ID']}: credentials written to {args.env_file}")
        return 0
    if args.command == "send-csv":
        return send_csv(settings, args)
    question = _DESTRUCTIVE.get(args.command)
    if question is not None and not confirm(question.format(**vars(args)), assume_yes=args.yes):
        return 2
    try:
        result = asyncio.run(run_admin(settings, with_history(_command(args), args)))
    except AdminError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if result is not None:
        print(result if isinstance(result, str | int) else json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
