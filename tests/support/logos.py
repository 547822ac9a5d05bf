"""Logo files for branding tests, drawn with Pillow: a PNG or JPEG of one colour with a white
square in the middle, and an SVG of the same."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 200 80">'
    b'<rect width="200" height="80" fill="#0b3d91"/><circle cx="40" cy="40" r="25" fill="#f4c20d"/>'
    b"</svg>"
)


def image_logo(
    colour: str = "#d4351c", size: tuple[int, int] = (160, 54), image_format: str = "PNG"
) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 3, h // 4, 2 * w // 3, 3 * h // 4), fill="#ffffff")
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()
