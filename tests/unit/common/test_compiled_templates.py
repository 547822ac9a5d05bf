"""A template compiled once per file renders every row exactly as the general functions do:
the same body, fragment count, refusals and missing placeholders, whatever the text, the columns
and the values (sanitising, Welsh and emoji, whitespace, optional content, look-alike headings);
event ids drawn in bulk are still distinct random UUID4s."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from notify_common.jobs.compiled import Columns, CompiledSms, CompiledText, missing_in
from notify_common.jobs.rows import EventIds
from notify_common.templates import (
    InsensitiveValues,
    fill_placeholders,
    join_with_and,
    missing_personalisation,
    render_sms,
)

NAMES = ["name", "Name", "first_name", "First Name", "code", "CODE", "date", "x"]
PIECES = [
    "Hello ",
    ", your code is ",
    ".",
    "  ",
    "\n",
    "\n\n\n",
    " ,",
    "\t",
    "Côd ŵ ",
    "“quoted” – ",
    "€[]",
    "🙂",
    "ŷ",
    "(",
    ")",
    "?",
    "a" * 200,
]

texts = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.sampled_from(NAMES).map(lambda n: f"(({n}))"),
        st.sampled_from(NAMES).map(lambda n: f"(({n}??shown text))"),
        st.text(max_size=6),
    ),
    max_size=12,
).map("".join)
values = st.one_of(
    st.none(),
    st.sampled_from(["yes", "No", "Ada", "  spaced  out ", "Ŵyn", "🙂", "line\nbreak", "", "x" * 500]),
    st.text(max_size=20),
)
headings = st.lists(st.sampled_from([*NAMES, "phone number", "Phone_Number", "", "other"]), max_size=8)


def reference_sms(content: str, cells: dict[str, str | None], prefix: str | None) -> object:
    try:
        rendered = render_sms(content, cells, prefix=prefix)
    except ValueError as exc:
        return type(exc), str(exc)
    return rendered.body, rendered.fragment_count


def compiled_sms(content: str, heads: list[str], cells: dict[str, str | None], prefix: str | None) -> object:
    try:
        return CompiledSms(content, Columns(heads), prefix).render(cells)
    except ValueError as exc:
        return type(exc), str(exc)


def checked_sms(content: str, heads: list[str], cells: dict[str, str | None], prefix: str | None) -> object:
    try:
        CompiledSms(content, Columns(heads), prefix).check(cells)
    except ValueError as exc:
        return type(exc), str(exc)
    return None


def row_cells(heads: list[str], draw_values: list[str | None]) -> dict[str, str | None]:
    """As ``RecipientsCsv.rows`` builds them: every non-empty heading, later duplicates winning."""
    cells: dict[str, str | None] = {}
    for position, heading in enumerate(heads):
        if heading:
            value = draw_values[position] if position < len(draw_values) else None
            cells[heading] = value or None
    return cells


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    content=texts,
    heads=headings,
    row=st.lists(values, max_size=8),
    prefix=st.sampled_from([None, "", "Tax office", "Swyddfa’r Dreth", "A – B"]),
)
@example(content="((name)), ((Name))", heads=["name", "Name"], row=["a", "b"], prefix=None)
@example(content="  ", heads=["name"], row=["x"], prefix="Tax")
@example(content="((x))" + "€" * 460, heads=["x"], row=["y"], prefix=None)
@example(content="ŵ" * 70, heads=[], row=[], prefix="P")
@example(content="\x1c \u2028\t((x))", heads=["x"], row=["\x85"], prefix="P")
@example(content="((x))", heads=["x"], row=["a" * 459], prefix=None)
@example(content="((x))", heads=["x"], row=["€" * 459 + "a"], prefix=None)
def test_a_compiled_sms_renders_and_refuses_exactly_as_render_sms(
    content: str, heads: list[str], row: list[str | None], prefix: str | None
) -> None:
    cells = row_cells(heads, row)
    expected = reference_sms(content, cells, prefix)
    assert compiled_sms(content, heads, cells, prefix) == expected
    refused = isinstance(expected, tuple) and isinstance(expected[0], type)
    assert checked_sms(content, heads, cells, prefix) == (expected if refused else None)
    columns = Columns(heads)
    assert missing_in(columns.required([content]), cells) == missing_personalisation([content], cells)
    filled = fill_placeholders(content, cells, format_list=join_with_and)
    assert CompiledText(content, columns).fill(cells) == filled


def test_the_later_of_two_look_alike_headings_fills_a_placeholder_as_insensitive_values_picks() -> None:
    heads = ["Name", "phone number", "NAME"]
    cells = row_cells(heads, ["first", "07700900123", "second"])
    assert InsensitiveValues(cells).get("name") == "second"
    assert CompiledText("Hi ((name))", Columns(heads)).fill(cells) == "Hi second"


def test_a_placeholder_without_a_column_stays_as_written_and_is_missing() -> None:
    columns = Columns(["phone number"])
    assert CompiledText("Hi ((Name))", columns).fill({"phone number": "1"}) == "Hi ((Name))"
    assert missing_in(columns.required(["Hi ((Name)) ((name))"]), {"phone number": "1"}) == ["Name"]


def test_event_ids_drawn_in_bulk_are_distinct_random_uuid4s() -> None:
    ids = EventIds()
    drawn = [ids.next() for _ in range(3_000)]  # more than one pool of 1,024
    assert len(set(drawn)) == 3_000
    parsed = [uuid.UUID(i) for i in drawn]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(str(u) == i for u, i in zip(parsed, drawn, strict=True))
