"""Spreadsheets become the CSV the admin API checks: Excel and OpenDocument files (built here as the
small zip files they are), TSV, and CSV untouched; anything unreadable is a clear message, and the
upload page shows it instead of failing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from xml.sax.saxutils import escape

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from notify_admin_console.app import create_app
from notify_admin_console.settings import ConsoleSettings
from notify_admin_console.spreadsheets import SpreadsheetError, cell_text, to_csv
from tests.unit.admin_console.test_permissions import CSRF, SECRET, SERVICE, USERS, signed_in

ROWS: list[list[str | float | None]] = [
    ["phone number", "first name", "date"],
    [7700900101.0, "Ada", "Monday"],
    ["07700900102", "Grace, “Amazing”", None],
]


Row = list[str | float | None]


def xlsx(rows: list[Row], hidden_first: list[Row] | None = None) -> bytes:
    """A minimal Office Open XML workbook with inline strings (what any spreadsheet program reads)."""

    def sheet_xml(sheet_rows: list[Row]) -> str:
        out = []
        for r, row in enumerate(sheet_rows, start=1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{chr(65 + c)}{r}"
                if value is None:
                    continue
                if isinstance(value, float):
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{''.join(out)}</sheetData></worksheet>"
        )

    sheets: list[tuple[str, list[Row]]] = [("Hidden", hidden_first)] if hidden_first else []
    sheets.append(("Recipients", rows))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"'
                + (' state="hidden"' if name == "Hidden" else "")
                + "/>"
                for i, (name, _) in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + "</Relationships>",
        )
        for i, (_, sheet_rows) in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(sheet_rows))
    return buffer.getvalue()


def ods(rows: list[list[str | float | None]]) -> bytes:
    """A minimal OpenDocument spreadsheet."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("<table:table-cell/>")
            elif isinstance(value, float):
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
                )
            else:
                cells.append(
                    f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'
                )
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Recipients">{"".join(body)}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        z.writestr("content.xml", content)
    return buffer.getvalue()


EXPECTED = 'phone number,first name,date\n7700900101,Ada,Monday\n07700900102,"Grace, “Amazing”",\n'


def test_an_excel_workbook_becomes_csv_with_numbers_as_people_typed_them() -> None:
    assert to_csv("people.xlsx", xlsx(ROWS)).decode() == EXPECTED


def test_the_first_visible_sheet_is_the_one_read() -> None:
    converted = to_csv("people.xlsx", xlsx(ROWS, hidden_first=[["not", "this"]]))
    assert converted.decode() == EXPECTED


def test_an_opendocument_spreadsheet_becomes_csv() -> None:
    assert to_csv("people.ods", ods(ROWS)).decode() == EXPECTED


def test_a_tab_separated_file_becomes_comma_separated() -> None:
    tsv = b"phone number\tfirst name\n07700900101\tAda, Countess\n"
    assert to_csv("people.tsv", tsv).decode() == 'phone number,first name\n07700900101,"Ada, Countess"\n'


def test_a_csv_passes_through_untouched() -> None:
    original = b"phone number\r\n07700900101\r\n"
    assert to_csv("people.CSV", original) is original


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.xlsx", b"this is not a zip file", "Notify cannot read ‘people.xlsx’"),
        ("people.xls", b"\xd0\xcf\x11\xe0 broken compound file", "Notify cannot read ‘people.xls’"),
        ("people.ods", b"PK\x03\x04 truncated", "Notify cannot read ‘people.ods’"),
        ("people.pdf", b"%PDF-1.7", "‘people.pdf’ is not a spreadsheet that Notify can read"),
        ("people.tsv", b"\xff\xfe\x00bad", "‘people.tsv’ must be saved as UTF-8 text"),
    ],
)
def test_unreadable_files_are_refused_with_a_message_for_people(
    name: str, content: bytes, message: str
) -> None:
    with pytest.raises(SpreadsheetError, match=message):
        to_csv(name, content)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (True, "TRUE"), (3.0, "3"), (2.5, "2.5"), ("x", "x"), (0.1 + 0.2, "0.30000000000000004")],
)
def test_cells_read_as_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# ---- the upload page ---------------------------------------------------------------------------

TEMPLATE = {"id": "t1", "name": "Reminder", "template_type": "sms", "content": "Hi ((first name))"}


@pytest.fixture
def uploads() -> Iterator[tuple[TestClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def fake(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/admin/console/users/"):
            return httpx.Response(200, json={"data": USERS["only-send_messages"]})
        if path == f"/admin/services/{SERVICE}":
            return httpx.Response(200, json={"data": {"id": SERVICE, "name": "Test", "live": True}})
        if path == f"/admin/console/services/{SERVICE}/templates/t1":
            return httpx.Response(200, json={"data": TEMPLATE})
        if path == f"/admin/console/services/{SERVICE}/uploads":
            seen.append(request)
            return httpx.Response(201, json={"data": {"id": "up1"}})
        return httpx.Response(404, json={"errors": [{"message": "Not found"}]})

    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(settings, httpx.AsyncClient(transport=httpx.MockTransport(fake), base_url="http://gw"))
    with TestClient(app, follow_redirects=False) as client:
        for name, value in signed_in("only-send_messages").items():
            client.cookies.set(name, value)
        yield client, seen


def test_an_uploaded_workbook_reaches_the_admin_api_as_csv(
    uploads: tuple[TestClient, list[httpx.Request]],
) -> None:
    client, seen = uploads
    response = client.post(
        f"/services/{SERVICE}/send/t1/csv",
        data={"csrf_token": CSRF},
        files={"file": ("people.xlsx", xlsx(ROWS), "application/octet-stream")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/services/{SERVICE}/check/up1"
    assert seen[0].url.params["file_name"] == "people.xlsx"
    assert seen[0].content.decode() == EXPECTED


def test_an_unreadable_upload_is_explained_on_the_page(
    uploads: tuple[TestClient, list[httpx.Request]],
) -> None:
    client, seen = uploads
    response = client.post(
        f"/services/{SERVICE}/send/t1/csv",
        data={"csrf_token": CSRF},
        files={"file": ("people.xlsx", b"not a workbook", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "Notify cannot read ‘people.xlsx’" in response.text
    assert "<title>Error: " in response.text
    assert seen == []
