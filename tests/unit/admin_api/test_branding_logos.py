"""Logo files are judged by their content: whatever bytes arrive, the check either takes them as a
PNG, JPEG or (for letters) SVG, or refuses them with a message for people, never another error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from notify_admin_api.branding_logos import check_logo
from notify_admin_api.store import AdminError
from tests.support.logos import SVG_LOGO, image_logo

PNG = image_logo()
MAX = 1024 * 1024


def judged(data: bytes, kind: str) -> str:
    try:
        return check_logo(data, kind, MAX).content_type  # type: ignore[arg-type]
    except AdminError as exc:
        return f"refused: {exc.message}"


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=512).map(lambda tail: PNG[:64] + tail),  # a PNG header, then anything
        st.binary(max_size=512).map(lambda tail: b"\xff\xd8\xff\xe0" + tail),
        st.text(max_size=300).map(
            lambda inside: f"<svg xmlns='http://www.w3.org/2000/svg'>{inside}".encode()
        ),
    ),
    st.sampled_from(["email", "letter"]),
)
def test_any_bytes_are_taken_or_refused_with_a_message(data: bytes, kind: str) -> None:
    assert judged(data, kind) in {"image/png", "image/jpeg", "image/svg+xml"} or judged(
        data, kind
    ).startswith("refused: ")


def test_real_logos_are_taken_by_their_content() -> None:
    assert judged(PNG, "email") == "image/png"
    assert judged(image_logo(image_format="JPEG"), "email") == "image/jpeg"
    assert judged(SVG_LOGO, "letter") == "image/svg+xml"
    assert judged(SVG_LOGO, "email") == "refused: Logo must be a PNG or JPEG image"
    assert judged(PNG[:100], "email") == "refused: Logo must be a PNG or JPEG image"  # cut short
