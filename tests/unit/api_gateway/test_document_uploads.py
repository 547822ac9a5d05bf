"""Send a file by email: the rules for a file in the personalisation, what a send carries, and the
encryption that keeps a stored file readable only with its link's key."""

from __future__ import annotations

import base64
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notify_api_gateway.sending import prepare_email
from notify_common.api_errors import ApiError
from notify_common.documents import (
    Document,
    DocumentToStore,
    key_from_token,
    new_link,
    open_sealed,
    recipient_digest,
    seal,
)
from notify_common.events import EmailRequested
from notify_common.file_uploads import MAX_FILE_BYTES, parse_file
from tests.unit.api_gateway.test_sending_rules import SERVICE_ID, caller, ctx, refusal, template

CSV = base64.b64encode(b"a,b,c\n1,2,3\n").decode()


def refused(spec: dict[str, Any]) -> tuple[int, str, str]:
    return refusal(lambda: parse_file(spec))


def test_a_file_has_notifys_defaults() -> None:
    upload = parse_file({"file": CSV, "filename": "report.csv"})
    assert upload.content == b"a,b,c\n1,2,3\n"
    assert (upload.filename, upload.mimetype) == ("report.csv", "text/csv")
    assert upload.confirm_email is True
    assert upload.retention_weeks == 26


def test_null_options_mean_the_defaults_as_the_official_clients_send_them() -> None:
    upload = parse_file(
        {"file": CSV, "filename": None, "confirm_email_before_download": None, "retention_period": None}
    )
    assert (upload.confirm_email, upload.retention_weeks, upload.mimetype) == (True, 26, "text/plain")


@pytest.mark.parametrize(
    ("period", "weeks"), [("1 week", 1), ("78 weeks", 78), (" 4 Weeks ", 4), ("70 weeks", 70)]
)
def test_a_retention_period_of_1_to_78_weeks_is_taken(period: str, weeks: int) -> None:
    assert parse_file({"file": CSV, "retention_period": period}).retention_weeks == weeks


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"retention_period": "9999 weeks"},
            "Unsupported value for retention_period: 9999 weeks. Supported periods are from 1 to 78 weeks.",
        ),
        (
            {"retention_period": "0 weeks"},
            "Unsupported value for retention_period: 0 weeks. Supported periods are from 1 to 78 weeks.",
        ),
        (
            {"retention_period": "1 month"},
            "Unsupported value for retention_period: 1 month. Supported periods are from 1 to 78 weeks.",
        ),
        (
            {"retention_period": False},
            "Unsupported value for retention_period: False. Supported periods are from 1 to 78 weeks.",
        ),
        (
            {"confirm_email_before_download": "potato"},
            "Unsupported value for confirm_email_before_download: potato. Use a boolean true or false value.",
        ),
        ({"is_csv": "bad"}, "Unsupported value for is_csv: bad. Use a boolean true or false value."),
        ({"filename": "file"}, "`filename` must end with a file extension. For example, filename.csv"),
        ({"filename": "file."}, "`filename` must end with a file extension. For example, filename.csv"),
        ({"filename": 7}, "`filename` must end with a file extension. For example, filename.csv"),
        ({"filename": "a" * 97 + ".csv"}, "`filename` cannot be longer than 100 characters"),
        (
            {"is_csv": True, "filename": "file.csv"},
            "Do not set a value for `is_csv` if `filename` is set.",
        ),
        ({"other": "attribute"}, "Additional properties are not allowed (other was unexpected)"),
        ({"file": False}, "Unsupported value for file: use a string of base64-encoded data"),
        ({"file": "not base64!"}, "Cannot decode file content (invalid base64 encoding)"),
        ({"file": ""}, "File is empty"),
        (
            {"filename": "setup.exe"},
            "Unsupported file type 'application/octet-stream'. Supported types are: '.csv', '.doc', "
            "'.docx', '.jpeg', '.jpg', '.odt', '.pdf', '.png', '.rtf', '.txt', '.xlsx'",
        ),
        (
            {"filename": "page.html"},
            "Unsupported file type 'text/html'. Supported types are: '.csv', '.doc', "
            "'.docx', '.jpeg', '.jpg', '.odt', '.pdf', '.png', '.rtf', '.txt', '.xlsx'",
        ),
    ],
)
def test_a_bad_file_value_is_a_bad_request_with_a_clear_message(spec: dict[str, Any], message: str) -> None:
    assert refused({"file": CSV, **spec}) == (400, "BadRequestError", message)


def test_a_file_over_2mb_is_refused_and_one_of_exactly_2mb_is_taken() -> None:
    exactly = base64.b64encode(b"x" * MAX_FILE_BYTES).decode()
    assert len(parse_file({"file": exactly, "filename": "big.txt"}).content) == MAX_FILE_BYTES
    over = base64.b64encode(b"x" * (MAX_FILE_BYTES + 1)).decode()
    assert refused({"file": over, "filename": "big.txt"})[2] == "File is larger than 2MB"
    # far over: refused before it is decoded
    assert (
        refused({"file": "A" * (4 * MAX_FILE_BYTES), "filename": "big.txt"})[2] == "File is larger than 2MB"
    )


def test_base64_wrapped_over_lines_is_decoded() -> None:
    wrapped = "\n".join(CSV[i : i + 8] for i in range(0, len(CSV), 8))
    assert parse_file({"file": wrapped, "filename": "a.csv"}).content == b"a,b,c\n1,2,3\n"


def _zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "is_csv", "mimetype", "filename"),
    [
        (b"%PDF-1.7 ...", None, "application/pdf", "file.pdf"),
        (b"a,b\n1,2\n", True, "text/csv", "file.csv"),
        (b"a,b\n1,2\n", False, "text/plain", "file.txt"),
        (b"\x89PNG\r\n\x1a\n....", None, "image/png", "file.png"),
        (b"\xff\xd8\xff\xe0....", None, "image/jpeg", "file.jpeg"),
        (b"{\\rtf1 hello}", None, "application/rtf", "file.rtf"),
        (
            _zip({"word/document.xml": b"<w/>"}),
            None,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "file.docx",
        ),
        (
            _zip({"xl/workbook.xml": b"<x/>"}),
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "file.xlsx",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}),
            None,
            "application/vnd.oasis.opendocument.text",
            "file.odt",
        ),
    ],
)
def test_without_a_filename_the_type_comes_from_the_content(
    content: bytes, is_csv: bool | None, mimetype: str, filename: str
) -> None:
    upload = parse_file({"file": base64.b64encode(content).decode(), "is_csv": is_csv})
    assert (upload.mimetype, upload.filename) == (mimetype, filename)


@pytest.mark.parametrize(
    ("content", "mimetype"),
    [(b"\x00\x01\x02\xff", "application/octet-stream"), (_zip({"a.exe": b"MZ"}), "application/zip")],
)
def test_without_a_filename_content_of_an_unsupported_type_is_refused(content: bytes, mimetype: str) -> None:
    message = refused({"file": base64.b64encode(content).decode()})[2]
    assert message.startswith(f"Unsupported file type '{mimetype}'. Supported types are: '.csv'")


def test_a_filename_cannot_carry_a_path_or_break_a_header() -> None:
    upload = parse_file({"file": CSV, "filename": '../x"\r\n.csv'})
    assert upload.filename == ".._x___.csv"


def test_a_link_carries_a_fresh_key_that_reads_back() -> None:
    first, second = new_link("https://files.test/", SERVICE_ID), new_link("https://files.test", SERVICE_ID)
    assert first.document_id != second.document_id
    assert first.key != second.key
    assert len(first.key) == 32
    prefix = f"https://files.test/d/{SERVICE_ID}/{first.document_id}?key="
    assert first.url.startswith(prefix)
    assert key_from_token(first.url.removeprefix(prefix)) == first.key
    assert key_from_token("short") is None
    assert key_from_token("!!!") is None


def _email(personalisation: dict[str, Any], **kw: Any) -> tuple[Any, Any]:
    t = template("email", content="Download it: ((doc))", subject="Your file")
    body = {"email_address": "Ada@Example.com", "template_id": t.id, "personalisation": personalisation}
    return t, lambda the_caller, **c: prepare_email(the_caller, t, body, ctx(**{**kw, **c}))


UPLOADER = ("sms", "email", "letter", "upload_document")


def test_an_email_with_a_file_carries_a_document_download_link_and_the_file_to_store() -> None:
    _, send = _email({"doc": {"file": CSV, "filename": "report.csv", "retention_period": "2 weeks"}})
    the_caller = caller(permissions=UPLOADER)
    prepared = send(the_caller, stores_documents=True)
    [stored] = prepared.documents
    document = stored.document
    assert document.service_id == SERVICE_ID
    assert document.content == b"a,b,c\n1,2,3\n"
    assert document.expires_at == ctx().created_at + timedelta(weeks=2)
    assert document.recipient_digest == recipient_digest(stored.key, "ada@example.com")
    # what its download page says about the sender, as the service is now
    assert (document.service_name, document.contact_link) == (
        the_caller.service.name,
        "https://www.example.gov.uk/contact",
    )
    assert isinstance(prepared.event, EmailRequested)
    # the link is document-download's, not the api-gateway's
    link = f"https://files.test/d/{SERVICE_ID}/{document.document_id}?key="
    assert link in prepared.event.body
    assert prepared.response["content"]["body"] == prepared.event.body


def test_a_file_that_needs_no_confirmation_keeps_no_digest_of_the_recipient() -> None:
    _, send = _email({"doc": {"file": CSV, "confirm_email_before_download": False}})
    [stored] = send(caller(permissions=UPLOADER), stores_documents=True).documents
    assert stored.document.recipient_digest is None


def test_a_smoke_test_recipient_stores_no_file() -> None:
    t = template("email", content="((doc))", subject="Your file")
    body = {
        "email_address": "simulate-delivered@notifications.service.gov.uk",
        "template_id": t.id,
        "personalisation": {"doc": {"file": CSV}},
    }
    prepared = prepare_email(caller(permissions=UPLOADER), t, body, ctx(stores_documents=True))
    assert prepared.simulated
    assert prepared.documents == ()


def test_files_need_the_upload_document_permission_and_a_route_that_stores_them() -> None:
    _, send = _email({"doc": {"file": CSV}})
    assert refusal(lambda: send(caller(), stores_documents=True)) == (
        400,
        "BadRequestError",
        "Service is not allowed to send documents",
    )
    assert refusal(lambda: send(caller(permissions=UPLOADER))) == (
        400,
        "BadRequestError",
        "Files can only be sent by email with POST /v2/notifications/email",
    )
    # a bad file is refused before anything else about it
    _, bad = _email({"doc": {"file": CSV, "retention_period": "2 months"}})
    assert refusal(lambda: bad(caller(permissions=UPLOADER), stores_documents=True))[2].startswith(
        "Unsupported value for retention_period: 2 months."
    )


def _pending(confirm: bool = True) -> DocumentToStore:
    link = new_link("https://files.test", SERVICE_ID)
    upload = parse_file({"file": CSV, "filename": "report.csv", "confirm_email_before_download": confirm})
    document = Document(
        service_id=SERVICE_ID,
        document_id=link.document_id,
        content=upload.content,
        filename=upload.filename,
        mimetype=upload.mimetype,
        confirm_email=upload.confirm_email,
        recipient_digest=recipient_digest(link.key, "ada@example.com") if confirm else None,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        service_name="Ministry of Files",
        contact_link="https://www.example.gov.uk/contact",
    )
    return DocumentToStore(document, link.key)


def test_a_sealed_document_opens_only_with_its_key_and_under_its_own_name() -> None:
    pending = _pending()
    document_id = pending.document.document_id
    sealed = seal(pending.document, pending.key)
    assert b"a,b,c" not in sealed
    assert b"report.csv" not in sealed
    assert b"Ministry" not in sealed
    opened = open_sealed(sealed, pending.key, SERVICE_ID, document_id)
    assert opened == pending.document
    assert open_sealed(sealed, bytes(32), SERVICE_ID, document_id) is None
    # moved to another document's place, it does not open either
    assert open_sealed(sealed, pending.key, SERVICE_ID, str(uuid.uuid4())) is None


def test_nothing_secret_is_in_a_documents_repr() -> None:
    pending = _pending()
    shown = repr(pending)
    assert "report.csv" not in shown
    assert "a,b,c" not in shown
    assert repr(pending.key) not in shown


def test_an_error_entry_with_extra_fields_keeps_them_after_the_message() -> None:
    plain = ApiError(400, "BadRequestError", "Template not found").body()
    assert plain == {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": "Template not found"}],
    }
    extra = ApiError(400, "ValidationError", "m", extra={"data": "d", "num_bytes": 1}).body()
    assert extra == {
        "status_code": 400,
        "errors": [{"error": "ValidationError", "message": "m", "data": "d", "num_bytes": 1}],
    }
