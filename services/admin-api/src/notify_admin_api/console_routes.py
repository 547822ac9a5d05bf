"""Admin API routes for the admin web console, under ``/admin/console`` (same bearer token as the
rest of the admin API): accounts and second factor, memberships and invitations, and what the
console shows about a service (templates, dashboard, notifications, inbound texts, jobs, usage,
CSV uploads). The console has no database access: this is all it can see and do.

Forgotten passwords (``/password-resets``) and reply-to addresses waiting for verification
(``/services/{id}/reply-to-verifications``) answer with a token the console puts in a link and emails
from the same service; the store keeps only its SHA-256.

Second-factor codes: ``POST /users/{id}/codes`` answers with the code and where to send it, and the
console sends it as a notification from the platform's own "Notify" service
(``POST /platform``) through the public API, so sign-in codes travel the same path as every
other message. ``POST /services/{id}/console-key`` gives the console a key of a service's own to
send one-off messages through the public API in the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import and_, select

from notify_admin_api.history_notes import note
from notify_admin_api.routes import Admin, run
from notify_admin_api.service_history import change
from notify_admin_api.state import Console, State
from notify_admin_api.store import AdminError, AdminStore, combined_key
from notify_admin_api.tables.configuration import api_keys
from notify_admin_api.text_fields import SingleLine
from notify_common.api_errors import ApiError
from notify_common.jobs.direct import parse_when
from notify_common.jobs.submit import JobNotCancellable, JobNotFound, cancel_job
from notify_common.secrets import SecretBox

router = APIRouter(prefix="/admin/console", tags=["Admin console"])

CONSOLE_KEY_NAME = "Notify admin console"
PLATFORM_SERVICE = "GOV.UK Notify"
PLATFORM_TEMPLATES = {
    "annual_limit_warning": (
        "Annual limit warning",
        "email",
        "((service_name)) has used ((percentage))% of its annual ((channel)) limit",
        "((service_name)) has sent ((used)) ((channel)) messages this financial year: ((percentage))% of "
        "its annual limit of ((limit)).\n\nOnce it reaches the limit, Notify will refuse its ((channel)) "
        "messages until the financial year ends on 31 March ((year_end)). Check what is left on the "
        "service's usage page, or ask the platform's administrators to raise the limit.",
    ),
    "sms_code": ("Sign-in code (text message)", "sms", None, "((code)) is your Notify sign-in code"),
    "email_code": (
        "Sign-in code (email)",
        "email",
        "Your Notify sign-in code",
        "((code)) is your Notify sign-in code.\n\nIt expires in 30 minutes.",
    ),
    "invitation": (
        "Invitation to a service",
        "email",
        "((inviter)) has invited you to ((service_name)) on Notify",
        "((inviter)) has invited you to join ((service_name)) on Notify.\n\n"
        "Use this link to accept the invitation:\n((url))\n\nThe link expires in 2 days.",
    ),
    "password_reset": (
        "Reset your password",
        "email",
        "Reset your Notify password",
        "Hi ((name)),\n\nWe received a request to reset your password on Notify.\n\n"
        "If you did not ask for this email, you can ignore it: your password has not been changed.\n\n"
        "To reset your password, use this link:\n((url))\n\nThe link works once and expires in 1 hour.",
    ),
    "reply_to_verification": (
        "Verify a reply-to email address",
        "email",
        "Confirm your Notify reply-to email address",
        "Hi,\n\nThis address has been added as a reply-to email address for ((service_name)) on Notify. "
        "Replies to the emails ((service_name)) sends through Notify will come back to this address.\n\n"
        "To confirm that it can receive emails, a team member who can manage the service's settings "
        "should use this link:\n((url))\n\nThe link expires in 24 hours. If you were not expecting "
        "this email, you can ignore it: the address will not be added.",
    ),
}


async def get_console(admin: Admin, state: State) -> Console:
    """The console's stores, for a caller the admin API lets in (``admin`` checks the token)."""
    return state.console


Stores = Annotated[Console, Depends(get_console)]
Permission = Literal[
    "view_activity", "send_messages", "manage_templates", "manage_service", "manage_api_keys"
]


class NewUser(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=255)
    email_address: str
    password: str = Field(min_length=8, max_length=255)
    mobile_number: str | None = None
    auth_type: Literal["sms_auth", "email_auth"] = "sms_auth"
    platform_admin: bool = False


class UserChanges(BaseModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    mobile_number: str | None = None
    auth_type: Literal["sms_auth", "email_auth"] | None = None
    password: str | None = Field(default=None, min_length=8, max_length=255)
    unlock: bool = False


class Credentials(BaseModel):
    email_address: str = Field(max_length=255)
    password: str = Field(max_length=255)


class CodeRequest(BaseModel):
    code_type: Literal["sms", "email"]


class CodeCheck(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    code_type: Literal["sms", "email", "totp"]


class TotpConfirm(BaseModel):
    code: str = Field(min_length=1, max_length=16)


class Membership(BaseModel):
    permissions: list[Permission]


class NewInvite(BaseModel):
    email_address: str
    permissions: list[Permission]
    invited_by: str | None = None


class Acceptance(BaseModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=255)
    mobile_number: str | None = None
    password: str | None = Field(default=None, min_length=8, max_length=255)


class ResetRequest(BaseModel):
    email_address: str = Field(max_length=255)


class ResetToken(BaseModel):
    token: str = Field(min_length=1, max_length=128)


class NewPassword(ResetToken):
    password: str = Field(max_length=255)


class NewReplyTo(BaseModel):
    email_address: str = Field(max_length=255)
    created_by: str | None = None


class NotificationSearch(BaseModel):
    status: Literal["all", "sending", "delivered", "failed"] = "all"
    template_type: Literal["sms", "email", "letter"] | None = None
    to: str | None = Field(default=None, max_length=320)
    job_id: str | None = None
    page: int = Field(default=1, ge=1, le=10_000)


class StartUpload(BaseModel):
    scheduled_for: str | None = None
    created_by: str | None = Field(default=None, max_length=255)


# ---- accounts ---------------------------------------------------------------------------------


@router.post("/users", status_code=201)
async def create_user(body: NewUser, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.create_user(**body.model_dump()))


@router.get("/users/{user_id}")
async def get_user(user_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.user(user_id))


@router.patch("/users/{user_id}")
async def update_user(user_id: str, body: UserChanges, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.update_user(user_id, body.model_dump(exclude_none=True)))


@router.post("/users/{user_id}/end-sessions")
async def end_sessions(user_id: str, console: Stores) -> dict[str, Any]:
    """Every session of the account ends now, on every device (sign-out, "sign out everywhere")."""
    return await run(console.accounts.end_sessions(user_id))


@router.post("/users/verify-password")
async def verify_password(body: Credentials, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.verify_password(body.email_address, body.password))


@router.post("/users/{user_id}/codes", status_code=201)
async def new_code(user_id: str, body: CodeRequest, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.new_code(user_id, body.code_type))


@router.post("/users/{user_id}/verify-code")
async def verify_code(user_id: str, body: CodeCheck, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.verify_code(user_id, body.code, body.code_type))


@router.post("/users/{user_id}/totp", status_code=201)
async def start_totp(user_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.start_totp(user_id, "Notify"))


@router.post("/users/{user_id}/totp/confirm")
async def confirm_totp(user_id: str, body: TotpConfirm, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.confirm_totp(user_id, body.code))


@router.get("/services/{service_id}/users")
async def members(service_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.teams.members(service_id))


@router.put("/services/{service_id}/users/{user_id}")
async def set_membership(
    request: Request, service_id: str, user_id: str, body: Membership, console: Stores
) -> dict[str, Any]:
    before = {
        u["id"]: u["permissions"] for u in (await run(console.teams.members(service_id)))["data"]["users"]
    }
    result = await run(console.teams.set_membership(service_id, user_id, list(body.permissions)))
    chosen = sorted(body.permissions)
    old = sorted(before[user_id]) if user_id in before else None
    kind = "team_member.permissions_changed" if user_id in before else "team_member.added"
    note(request, service_id, kind, subject_id=user_id, changes=[change("permissions", old, chosen)])
    return result


@router.delete("/services/{service_id}/users/{user_id}")
async def remove_membership(
    request: Request, service_id: str, user_id: str, console: Stores
) -> dict[str, Any]:
    result = await run(console.teams.remove_membership(service_id, user_id))
    note(request, service_id, "team_member.removed", subject_id=user_id)
    return result


@router.post("/services/{service_id}/invites", status_code=201)
async def invite(service_id: str, body: NewInvite, console: Stores) -> dict[str, Any]:
    return await run(
        console.teams.invite(service_id, body.email_address, list(body.permissions), body.invited_by),
    )


@router.post("/services/{service_id}/invites/{invite_id}/cancel")
async def cancel_invite(service_id: str, invite_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.teams.cancel_invitation(service_id, invite_id))


@router.get("/invites/{token}")
async def invitation(token: str, console: Stores) -> dict[str, Any]:
    return await run(console.teams.invitation(token))


@router.post("/invites/{token}/accept")
async def accept(request: Request, token: str, body: Acceptance, console: Stores) -> dict[str, Any]:
    new_user = body.model_dump(exclude_none=True) or None
    invitation = (await run(console.teams.invitation(token)))["data"]
    result = await run(console.teams.accept_invitation(token, new_user))
    joined = [change("permissions", None, sorted(invitation["permissions"]))]
    note(
        request,
        invitation["service_id"],
        "team_member.joined",
        subject_id=result["data"]["id"],
        changes=joined,
    )
    return result


# ---- forgotten password and reply-to verification ------------------------------------------------


@router.post("/password-resets", status_code=201)
async def request_reset(body: ResetRequest, console: Stores) -> dict[str, Any]:
    """A reset link token, or ``null`` for an unknown address or one that asked too often (the
    console shows the same page either way)."""
    return await run(console.accounts.request_reset(body.email_address))


@router.post("/password-resets/check")
async def check_reset(body: ResetToken, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.check_reset(body.token))


@router.post("/password-resets/complete")
async def complete_reset(body: NewPassword, console: Stores) -> dict[str, Any]:
    return await run(console.accounts.complete_reset(body.token, body.password))


@router.post("/services/{service_id}/reply-to-verifications", status_code=201)
async def start_reply_to(service_id: str, body: NewReplyTo, console: Stores) -> dict[str, Any]:
    return await run(console.reply_tos.start_reply_to(service_id, body.email_address, body.created_by))


@router.get("/services/{service_id}/reply-to-verifications")
async def reply_to_verifications(service_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reply_tos.reply_to_verifications(service_id))


@router.post("/services/{service_id}/reply-to-verifications/confirm")
async def confirm_reply_to(service_id: str, body: ResetToken, console: Stores) -> dict[str, Any]:
    return await run(console.reply_tos.confirm_reply_to(service_id, body.token))


# ---- sending through the public API -------------------------------------------------------------


async def _console_key(admin: AdminStore, box: SecretBox, service_id: str) -> str:
    """The console's own active key of the service (a live key for a live service, a team key in
    trial mode), made on first use; its secret is opened from the store."""
    service = await admin.service(service_id)
    wanted = "normal" if service["live"] else "team"
    async with admin.engine.connect() as conn:
        row = (
            await conn.execute(
                select(api_keys.c.id, api_keys.c.key_type, api_keys.c.secret).where(
                    and_(
                        api_keys.c.service_id == service_id,
                        api_keys.c.name == CONSOLE_KEY_NAME,
                        api_keys.c.expiry_date.is_(None),
                    )
                )
            )
        ).first()
    if row is not None and row.key_type == wanted:
        return combined_key(CONSOLE_KEY_NAME, service_id, box.open(row.secret))
    if row is not None:
        await admin.revoke_api_key(service_id, str(row.id))
    return (await admin.create_api_key(service_id, CONSOLE_KEY_NAME, wanted)).combined


@router.post("/services/{service_id}/console-key")
async def console_key(service_id: str, admin: Admin, console: Stores) -> dict[str, Any]:
    result = await run(_console_key(admin, console.box, service_id))
    return {"data": {"key": result["data"], "name": CONSOLE_KEY_NAME}}


async def platform_service(admin: AdminStore, box: SecretBox) -> dict[str, Any]:
    """The platform's own service, its templates and a key of its own (made on first use)."""
    return await _platform(admin, box)


async def _platform(admin: AdminStore, box: SecretBox) -> dict[str, Any]:
    service_id = await admin.service_id_by_name(PLATFORM_SERVICE)
    if service_id is None:
        try:
            service_id = await admin.create_service(
                PLATFORM_SERVICE,
                live=True,
                email_from="notify",
                permissions=("sms", "email"),
                prefix_sms=False,
            )
        except AdminError:  # made by a concurrent request
            service_id = await admin.service_id_by_name(PLATFORM_SERVICE)
            assert service_id is not None
    templates: dict[str, str] = {}
    for purpose, (name, template_type, subject, content) in PLATFORM_TEMPLATES.items():
        template_id = await admin.template_id_by_name(service_id, name)
        if template_id is None:
            template_id = await admin.create_template(
                service_id, name=name, template_type=template_type, content=content, subject=subject
            )
        templates[purpose] = template_id
    key = await _console_key(admin, box, service_id)
    return {"service_id": service_id, "templates": templates, "key": key}


@router.post("/platform")
async def platform(admin: Admin, console: Stores) -> dict[str, Any]:
    """The platform's own service that sends sign-in codes and invitations (made on first use)."""
    return await run(_platform(admin, console.box))


# ---- what the console shows about a service -----------------------------------------------------


@router.get("/services/{service_id}/templates")
async def templates(service_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reads.templates(service_id))


@router.get("/services/{service_id}/templates/{template_id}")
async def template(service_id: str, template_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reads.template(service_id, template_id))


@router.get("/services/{service_id}/dashboard")
async def dashboard(
    service_id: str, console: Stores, days: Annotated[int, Query(ge=1, le=31)] = 7
) -> dict[str, Any]:
    return await run(console.reads.dashboard(service_id, days))


@router.post("/services/{service_id}/notifications/search")
async def search_notifications(service_id: str, body: NotificationSearch, console: Stores) -> dict[str, Any]:
    """A search by recipient arrives in the body, so it never lands in a URL or an access log."""
    return await run(console.reads.notifications(service_id, **body.model_dump()))


@router.get("/services/{service_id}/notifications/{notification_id}")
async def notification(service_id: str, notification_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reads.notification(service_id, notification_id))


@router.get("/services/{service_id}/inbound-sms")
async def inbound(service_id: str, console: Stores, page: Annotated[int, Query(ge=1)] = 1) -> dict[str, Any]:
    return await run(console.reads.inbound(service_id, page))


@router.get("/services/{service_id}/jobs")
async def jobs(service_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reads.jobs(service_id))


@router.get("/services/{service_id}/jobs/{job_id}")
async def job(service_id: str, job_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reads.job(service_id, job_id))


@router.get("/services/{service_id}/usage")
async def usage(
    service_id: str,
    console: Stores,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    financial_year = year if year is not None else (now.year if now.month >= 4 else now.year - 1)
    return await run(console.reads.usage(service_id, financial_year))


@router.post("/services/{service_id}/uploads", status_code=201)
async def upload(
    service_id: str,
    request: Request,
    console: Stores,
    template_id: Annotated[str, Query()],
    file_name: Annotated[str, Query(max_length=255)] = "upload.csv",
    created_by: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """Check a CSV (the request body) for a template; a valid file is kept for ``/start``."""
    limit = console.uploads.limits.max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, "AdminError", "Your file is too big")
    return await run(console.uploads.check(service_id, template_id, file_name, bytes(data), created_by))


@router.get("/services/{service_id}/uploads/{upload_id}")
async def get_upload(service_id: str, upload_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.uploads.upload(service_id, upload_id))


@router.post("/services/{service_id}/uploads/{upload_id}/start", status_code=201)
async def start_upload(
    service_id: str, upload_id: str, body: StartUpload, console: Stores, state: State
) -> dict[str, Any]:
    try:
        when = parse_when(body.scheduled_for)
    except ValueError as exc:
        raise ApiError(400, "BadRequestError", str(exc)) from None
    return await run(
        console.uploads.start(
            service_id, upload_id, producer=state.producer, scheduled_for=when, created_by=body.created_by
        ),
    )


@router.post("/services/{service_id}/jobs/{job_id}/cancel")
async def cancel_scheduled_job(service_id: str, job_id: str, console: Stores, state: State) -> dict[str, Any]:
    async def cancel() -> dict[str, Any]:
        try:
            await cancel_job(
                engine=console.reads.engine, producer=state.producer, service_id=service_id, job_id=job_id
            )
        except JobNotFound:
            raise AdminError("Job not found", 404) from None
        except JobNotCancellable as exc:
            raise AdminError(str(exc)) from None
        return await console.reads.job(service_id, job_id)

    return await run(cancel())
