"""Templates render into text messages, emails and letters as GOV.UK Notify's do."""

from __future__ import annotations

import pytest

from notify_common.templates import (
    EMAIL_BYTE_LIMIT,
    MessageEmptyError,
    MessageTooLongError,
    RenderedEmail,
    check_email_length,
    check_sms_length,
    nice_typography,
    render_email,
    render_letter,
    render_sms,
)

# --- text messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "personalisation", "body"),
    [
        ("Hello ((name))", {"name": "Ann"}, "Hello Ann"),
        ("Hello ((First Name))", {"first_name": "Ann"}, "Hello Ann"),
        ("Your items: ((items)).", {"items": ["tea", "milk", "bread"]}, "Your items: tea, milk and bread."),
        ("Hi ((name))", {"name": "“Ann” – Łucja 😀"}, 'Hi "Ann" - Lucja?'),
        ("Hi ((name))", {"name": "Ann\u00a0\u00a0Smith\u200b"}, "Hi Ann Smith"),
        ("  Hello   ((name)) ,  bye  ", {"name": "Ann"}, "Hello Ann, bye"),
        ("Line one\n\n\n\nLine two", {}, "Line one\n\nLine two"),
        ("Emoji in the template 🎉 too", {}, "Emoji in the template? too"),
        ("((vip??You are a VIP. ))Thanks", {"vip": "yes"}, "You are a VIP. Thanks"),
        ("((vip??You are a VIP. ))Thanks", {"vip": "no"}, "Thanks"),
    ],
)
def test_text_messages_are_filled_sanitised_and_whitespace_normalised(
    template: str, personalisation: dict[str, object], body: str
) -> None:
    assert render_sms(template, personalisation).body == body


@pytest.mark.parametrize(
    ("prefix", "show_prefix", "body"),
    [
        ("Anytown Council", True, "Anytown Council: Your bin is due"),
        ("Anytown Council", False, "Your bin is due"),
        (None, True, "Your bin is due"),
        ("", True, "Your bin is due"),
    ],
)
def test_the_service_name_is_prefixed_when_enabled(prefix: str | None, show_prefix: bool, body: str) -> None:
    assert render_sms("Your bin is due", {}, prefix=prefix, show_prefix=show_prefix).body == body


@pytest.mark.parametrize(
    ("template", "encoding", "characters", "fragments"),
    [
        ("a" * 160, "GSM", 160, 1),
        ("a" * 161, "GSM", 161, 2),
        ("a" * 306, "GSM", 306, 2),
        ("a" * 307, "GSM", 307, 3),
        ("€" * 80, "GSM", 160, 1),
        ("ŵ" * 70, "UCS-2", 70, 1),
        ("ŵ" * 71, "UCS-2", 71, 2),
        ("ŵ" * 134, "UCS-2", 134, 2),
        ("ŵ" * 135, "UCS-2", 135, 3),
        ("Diolch yn fawr – ŵy", "UCS-2", 19, 1),
    ],
)
def test_rendered_text_messages_report_encoding_characters_and_fragments(
    template: str, encoding: str, characters: int, fragments: int
) -> None:
    rendered = render_sms(template, {})

    assert (rendered.encoding, rendered.character_count, rendered.fragment_count) == (
        encoding,
        characters,
        fragments,
    )


def test_the_prefix_is_billed_but_not_counted_towards_the_limit() -> None:
    rendered = render_sms("a" * 918, {}, prefix="Council")

    assert rendered.body == "Council: " + "a" * 918
    assert rendered.character_count_without_prefix == 918
    assert rendered.character_count == 927
    assert rendered.fragment_count == 7


@pytest.mark.parametrize(
    ("template", "count"),
    [("a" * 919, 919), ("a" * 1000, 1000), ("€" * 460, 920), ("a" * 917 + "{", 919), ("ŵ" * 919, 919)],
)
def test_messages_over_918_characters_are_refused_with_the_api_message(template: str, count: int) -> None:
    with pytest.raises(MessageTooLongError) as error:
        render_sms(template, {})

    assert error.value.message == (
        "Your message is too long. Text messages cannot be longer than 918 characters. "
        f"Your message is {count} characters long."
    )


@pytest.mark.parametrize("template", ["a" * 918, "€" * 459, "a" * 916 + "€"])
def test_a_message_of_exactly_918_characters_is_allowed(template: str) -> None:
    assert render_sms(template, {}).character_count_without_prefix == 918


def test_personalisation_counts_towards_the_limit() -> None:
    with pytest.raises(MessageTooLongError, match="Your message is 920 characters long"):
        render_sms("((a))((b))", {"a": "x" * 500, "b": "y" * 420})


@pytest.mark.parametrize(
    ("template", "personalisation", "prefix"),
    [("((body))", {"body": ""}, None), ("((body))", {"body": "   "}, "Council"), ("\u200b", {}, None)],
)
def test_messages_empty_after_personalisation_are_refused(
    template: str, personalisation: dict[str, object], prefix: str | None
) -> None:
    with pytest.raises(MessageEmptyError) as error:
        render_sms(template, personalisation, prefix=prefix)

    assert error.value.message == "Your message is empty."


def test_limits_can_be_checked_separately_for_previews() -> None:
    rendered = render_sms("a" * 1000, {}, check_limits=False)

    assert rendered.fragment_count == 7
    with pytest.raises(MessageTooLongError):
        check_sms_length(rendered)


# --- emails ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        ("# Heading", "<h2>Heading</h2>"),
        ("## Subheading", "<h3>Subheading</h3>"),
        ("### Too deep", "<p>Too deep</p>"),
        ("* one\n* two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("• one\n• two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("^ Inset text", "<blockquote>\n<p>Inset text</p>\n</blockquote>"),
        ("^Inset text\n^continued", "<blockquote>\n<p>Inset text<br />\ncontinued</p>\n</blockquote>"),
        ("> not inset", "<p>&gt; not inset</p>"),
        ("Above\n\n---\n\nBelow", "<p>Above</p>\n<hr />\n<p>Below</p>"),
        ("[GOV.UK](https://www.gov.uk)", '<p><a href="https://www.gov.uk">GOV.UK</a></p>'),
        (
            "See https://www.gov.uk/apply.",
            '<p>See <a href="https://www.gov.uk/apply">https://www.gov.uk/apply</a>.</p>',
        ),
        ("[bad](javascript:alert(1))", '<p><a href="#harmful-link">bad</a></p>'),
        ("Line one\nLine two", "<p>Line one<br />\nLine two</p>"),
        ("Para one\n\nPara two", "<p>Para one</p>\n<p>Para two</p>"),
        ("*not italic* **not bold** `not code`", "<p>*not italic* **not bold** `not code`</p>"),
        ("    not code", "<p>not code</p>"),
        ("Title\n===", "<p>Title<br />\n===</p>"),
        ("<b>raw</b> & co", "<p>&lt;b&gt;raw&lt;/b&gt; &amp; co</p>"),
        ("It's 9 - 5", "<p>It’s 9 – 5</p>"),
        ('"Quoted"', "<p>“Quoted”</p>"),
    ],
)
def test_each_construct_of_the_email_markdown_subset_renders_to_html(body: str, html: str) -> None:
    assert render_email("Subject", body, {}).html == html


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("Hello", "Hello"),
        ("# Heading\n\nText", "Heading\n=======\n\nText"),
        ("## Sub\n\nText", "Sub\n---\n\nText"),
        ("* one\n* two", "• one\n• two"),
        ("1. one\n2. two", "1. one\n2. two"),
        ("^ Inset text", "Inset text"),
        ("Above\n\n---\n\nBelow", "Above\n\n" + "-" * 65 + "\n\nBelow"),
        ("[GOV.UK](https://www.gov.uk)", "GOV.UK: https://www.gov.uk"),
        ("See https://www.gov.uk", "See https://www.gov.uk"),
        ("Line one\nLine two", "Line one\nLine two"),
        ("<b>raw</b> & co", "<b>raw</b> & co"),
        ("One\n\n\n\n\nTwo", "One\n\nTwo"),
    ],
)
def test_each_construct_of_the_email_markdown_subset_renders_to_plain_text(body: str, text: str) -> None:
    assert render_email("Subject", body, {}).body == text


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<a href='#'>click</a>", "&lt;a href=’#’&gt;click&lt;/a&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("&amp;", "&amp;amp;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ],
)
def test_personalisation_is_html_escaped_in_the_html_body(value: str, escaped: str) -> None:
    rendered = render_email("Subject", "Dear ((name))", {"name": value})

    assert rendered.html == f"<p>Dear {escaped}</p>"
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html


def test_a_url_in_personalisation_cannot_break_out_of_the_link_it_becomes() -> None:
    rendered = render_email("Subject", "Go to ((url))", {"url": 'https://evil.example/"><script>x</script>'})

    assert "<script" not in rendered.html
    assert rendered.html.startswith('<p>Go to <a href="https://evil.example/%22%3E">')


def test_personalisation_in_link_text_is_escaped_too() -> None:
    rendered = render_email("Subject", "[((label))](https://www.gov.uk)", {"label": "<b>x</b>"})

    assert rendered.html == '<p><a href="https://www.gov.uk">&lt;b&gt;x&lt;/b&gt;</a></p>'


def test_list_personalisation_becomes_a_bulleted_list_in_email() -> None:
    rendered = render_email(
        "Subject", "You need:((items))\n\nThanks", {"items": ["a passport", None, "a photo"]}
    )

    assert (
        rendered.html == "<p>You need:</p>\n<ul>\n<li>a passport</li>\n<li>a photo</li>\n</ul>\n<p>Thanks</p>"
    )
    assert rendered.body == "You need:\n\n• a passport\n• a photo\n\nThanks"


@pytest.mark.parametrize(
    ("subject", "personalisation", "rendered"),
    [
        ("Hello ((name))", {"name": "Ann"}, "Hello Ann"),
        ("  Your   ((thing))  \n is ready ", {"thing": "passport"}, "Your passport is ready"),
        ("Items: ((items))", {"items": ["a", "b"]}, "Items: a and b"),
        ("Ref ((ref))", {"ref": "<b>1</b>"}, "Ref <b>1</b>"),
        ("# Not a heading", {}, "# Not a heading"),
    ],
)
def test_email_subjects_are_filled_and_kept_on_one_line(
    subject: str, personalisation: dict[str, object], rendered: str
) -> None:
    assert render_email(subject, "Body", personalisation).subject == rendered


def test_an_email_body_empty_after_personalisation_is_refused() -> None:
    with pytest.raises(MessageEmptyError, match=r"^Your message is empty\.$"):
        render_email("Subject", "((body))", {"body": "  "})


@pytest.mark.parametrize(
    ("body", "too_long"),
    [("a" * EMAIL_BYTE_LIMIT, False), ("a" * (EMAIL_BYTE_LIMIT + 1), True), ("é" * 1_000_001, True)],
)
def test_emails_over_2000000_bytes_of_utf8_are_refused_with_the_api_message(
    body: str, too_long: bool
) -> None:
    rendered = RenderedEmail(subject="Subject", body=body, html="")
    if not too_long:
        check_email_length(rendered)
        return

    with pytest.raises(MessageTooLongError) as error:
        check_email_length(rendered)

    size = len(body.encode("utf-8"))
    assert error.value.message == (
        f"Your message is too long. Emails cannot be longer than 2000000 bytes. Your message is {size} bytes."
    )


def test_render_email_checks_the_byte_limit_of_the_plain_text_body() -> None:
    with pytest.raises(MessageTooLongError, match="Your message is 2000002 bytes"):
        render_email("Subject", "((body))", {"body": "é" * 1_000_001})


@pytest.mark.parametrize(
    ("text", "typographic"),
    [
        ("It's", "It’s"),
        ("'single' and \"double\"", "‘single’ and “double”"),
        ("9am - 5pm", "9am – 5pm"),
        ("9am -- 5pm", "9am – 5pm"),
        ("well-known", "well-known"),
        ("Write to o'brien@example.com", "Write to o'brien@example.com"),
    ],
)
def test_quotes_become_curly_and_spaced_hyphens_en_dashes(text: str, typographic: str) -> None:
    assert nice_typography(text) == typographic


# --- letters -----------------------------------------------------------------------------------------


def test_letters_render_subject_body_and_address_from_personalisation() -> None:
    rendered = render_letter(
        "Your reference ((ref))",
        "Dear ((name)),\n\nYou need:((items))",
        {
            "ref": "AB123",
            "name": "Ann",
            "items": ["a passport", "a photo"],
            "address_line_1": "Ann Smith",
            "Address Line 2": "1 High Street",
            "postcode": "SW1A 1AA",
        },
    )

    assert rendered.subject == "Your reference AB123"
    assert rendered.body == "Dear Ann,\n\nYou need:\n\n* a passport\n* a photo"
    assert rendered.address == ("Ann Smith", "1 High Street", "SW1A 1AA")


def test_letter_placeholders_without_values_are_left_as_written() -> None:
    assert render_letter("Hello ((name))", "Body ((x))", {}).body == "Body ((x))"
