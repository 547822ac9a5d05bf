"""Send a file by email: the rules for a personalisation value that is a file.

A value ``{"file": <base64>, "filename": "x.csv", "confirm_email_before_download": bool,
"retention_period": "N weeks"}`` (or the legacy ``is_csv`` instead of ``filename``) is checked here,
with Notify's messages where Notify words them, decoded, limited to 2 MB and typed by its
extension (or, without a filename, by its first bytes). The send then carries a
``notify_common.documents.DocumentToStore`` per file: a random document id and a random 256-bit key
that encrypts the file at rest and is only ever in the download link, which points at
document-download. Pure: no I/O; randomness comes from ``secrets``.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from notify_common.api_errors import ApiError, bad_request
from notify_common.documents import (
    MAX_RETENTION_WEEKS,
    Document,
    DocumentLink,
    DocumentToStore,
    recipient_digest,
)

MAX_FILE_BYTES = 2 * 1024 * 1024  # the official clients' DOCUMENT_UPLOAD_SIZE_LIMIT
MAX_FILENAME_LENGTH = 100
DEFAULT_RETENTION_WEEKS = 26
FILE_KEYS = frozenset({"file", "filename", "confirm_email_before_download", "retention_period", "is_csv"})
# What recipients can be sent, by extension (Notify's list); nothing a browser would run.
FILE_TYPES = {
    ".csv": "text/csv",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".rtf": "application/rtf",
    ".txt": "text/plain",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {mimetype: ext for ext, mimetype in reversed(FILE_TYPES.items())}
_RETENTION = re.compile(r"^(\d+) weeks?$")
# Python's own table only (not the host's /etc/mime.types), so messages do not vary by machine.
_KNOWN_TYPES = mimetypes.MimeTypes()
_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


class ServiceContact(Protocol):
    """What a download page says about the service that sent the file."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def contact_link(self) -> str | None: ...


@dataclass(frozen=True)
class FileUpload:
    """A checked file: its bytes, the name and type it is served with, and how it is guarded."""

    content: bytes = field(repr=False)
    filename: str = field(repr=False)
    mimetype: str
    confirm_email: bool
    retention_weeks: int


def is_file(value: object) -> bool:
    return isinstance(value, dict) and "file" in value


def _unsupported(name: str, value: object, use: str) -> ApiError:
    shown = "null" if value is None else value
    return bad_request(f"Unsupported value for {name}: {shown}. {use}")


def _optional_bool(spec: Mapping[str, object], name: str) -> bool | None:
    value = spec.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _unsupported(name, value, "Use a boolean true or false value.")


def retention_weeks(value: object) -> int:
    if value is None:
        return DEFAULT_RETENTION_WEEKS
    if isinstance(value, str):
        match = _RETENTION.match(value.strip().lower())
        if match and 1 <= int(match[1]) <= MAX_RETENTION_WEEKS:
            return int(match[1])
    raise _unsupported("retention_period", value, "Supported periods are from 1 to 78 weeks.")


def checked_filename(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "." not in value or value.rstrip().endswith("."):
        raise bad_request("`filename` must end with a file extension. For example, filename.csv")
    if len(value) > MAX_FILENAME_LENGTH:
        raise bad_request(f"`filename` cannot be longer than {MAX_FILENAME_LENGTH} characters")
    cleaned = _UNSAFE_IN_FILENAME.sub("_", value.strip())
    return cleaned


def decode_file(value: object) -> bytes:
    if not isinstance(value, str):
        raise bad_request("Unsupported value for file: use a string of base64-encoded data")
    compact = "".join(value.split())
    # Refuse what cannot fit before decoding it: 4 characters carry 3 bytes.
    if len(compact) > (MAX_FILE_BYTES + 2) // 3 * 4:
        raise bad_request("File is larger than 2MB")
    try:
        content = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("Cannot decode file content (invalid base64 encoding)") from None
    if not content:
        raise bad_request("File is empty")
    if len(content) > MAX_FILE_BYTES:
        raise bad_request("File is larger than 2MB")
    return content


def sniffed_mimetype(content: bytes, *, is_csv: bool) -> str:
    """A file's type from its first bytes, for files sent without a filename (Notify's legacy way)."""
    magic = {
        b"%PDF-": "application/pdf",
        b"\x89PNG\r\n\x1a\n": "image/png",
        b"\xff\xd8\xff": "image/jpeg",
        b"{\\rtf": "application/rtf",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "application/msword",
    }
    for prefix, mimetype in magic.items():
        if content.startswith(prefix):
            return mimetype
    if content.startswith(b"PK\x03\x04"):
        return _zipped_office_type(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    return "text/csv" if is_csv else "text/plain"


def _zipped_office_type(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == FILE_TYPES[".odt"].encode():
                return FILE_TYPES[".odt"]
    except (zipfile.BadZipFile, KeyError, ValueError):
        return "application/zip"
    if any(name.startswith("word/") for name in names):
        return FILE_TYPES[".docx"]
    if any(name.startswith("xl/") for name in names):
        return FILE_TYPES[".xlsx"]
    return "application/zip"


def _unsupported_type(mimetype: str) -> ApiError:
    supported = ", ".join(f"'{ext}'" for ext in sorted(FILE_TYPES))
    return bad_request(f"Unsupported file type '{mimetype}'. Supported types are: {supported}")


def parse_file(spec: Mapping[str, object]) -> FileUpload:
    """One file value checked: options first (as Notify's schema does), then the content."""
    unexpected = sorted(set(spec) - FILE_KEYS)
    if unexpected:
        raise bad_request(
            f"Additional properties are not allowed ({', '.join(unexpected)} "
            f"{'was' if len(unexpected) == 1 else 'were'} unexpected)"
        )
    is_csv = _optional_bool(spec, "is_csv")
    confirm = _optional_bool(spec, "confirm_email_before_download")
    weeks = retention_weeks(spec.get("retention_period"))
    filename = checked_filename(spec.get("filename"))
    if is_csv is not None and filename:
        raise bad_request("Do not set a value for `is_csv` if `filename` is set.")
    content = decode_file(spec["file"])
    if filename is None:
        mimetype = sniffed_mimetype(content, is_csv=bool(is_csv))
        if mimetype not in EXTENSIONS:
            raise _unsupported_type(mimetype)
        filename = f"file{EXTENSIONS[mimetype]}"
    else:
        extension = "." + filename.rsplit(".", 1)[1].lower()
        if extension not in FILE_TYPES:
            raise _unsupported_type(_KNOWN_TYPES.guess_type(filename)[0] or "application/octet-stream")
        mimetype = FILE_TYPES[extension]
    return FileUpload(
        content=content,
        filename=filename,
        mimetype=mimetype,
        confirm_email=True if confirm is None else confirm,
        retention_weeks=weeks,
    )


def file_uploads(personalisation: Mapping[str, object]) -> dict[str, FileUpload]:
    """Every file value of the personalisation, checked (the first problem refuses the send)."""
    return {
        name: parse_file(value)
        for name, value in personalisation.items()
        if isinstance(value, dict) and is_file(value)
    }


def pending_documents(
    service: ServiceContact,
    uploads: Mapping[str, FileUpload],
    links: Mapping[str, DocumentLink],
    recipient: str,
    created_at: datetime,
) -> tuple[DocumentToStore, ...]:
    """The documents to store for a send; the recipient only as a keyed digest."""
    return tuple(
        DocumentToStore(
            Document(
                service_id=service.id,
                document_id=links[name].document_id,
                content=upload.content,
                filename=upload.filename,
                mimetype=upload.mimetype,
                confirm_email=upload.confirm_email,
                recipient_digest=recipient_digest(links[name].key, recipient)
                if upload.confirm_email
                else None,
                expires_at=created_at + timedelta(weeks=upload.retention_weeks),
                service_name=service.name,
                contact_link=service.contact_link,
            ),
            key=links[name].key,
        )
        for name, upload in uploads.items()
    )
