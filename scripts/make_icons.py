"""Draw the app icons and the link-preview card as PNG files, from the favicon's flame.

The flame is the same shape as in webapp/static/favicon.svg (a 32×32 drawing), drawn here with
Pillow from its Bézier curves, since no SVG rasteriser is available. Run it after changing the
design:

    .venv/bin/python scripts/make_icons.py

and commit the PNG files it writes under webapp/static/.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

STATIC = Path(__file__).resolve().parent.parent / "webapp" / "static"

RED = (200, 16, 46)  # #c8102e
WHITE = (255, 255, 255)
LIGHT = (241, 250, 238)  # #f1faee
YELLOW = (244, 162, 97)  # #f4a261

#: every drawing is made this many times larger, then scaled down, for smooth edges
SUPERSAMPLE = 4

Point = tuple[float, float]
#: a closed outline: a start point, then cubic Bézier segments (control, control, end)
Outline = tuple[Point, tuple[tuple[Point, Point, Point], ...]]

#: the flame of favicon.svg, in its 32×32 coordinates
FLAME: Outline = (
    (16, 3),
    (
        ((17.5, 8), (24, 11), (24, 19.5)),
        ((24, 24.2), (20.4, 28), (16, 28)),
        ((11.6, 28), (8, 24.2), (8, 19.5)),
        ((8, 15.5), (10.5, 12.8), (12, 10.5)),
        ((12.3, 13), (13.2, 14.6), (14.6, 15.5)),
        ((14.2, 11), (14.8, 6.5), (16, 3)),
    ),
)
#: the drop of background colour inside the flame
FLAME_HEART: Outline = (
    (16, 17),
    (
        ((17.5, 19.5), (19.5, 21), (19.5, 23.2)),
        ((19.5, 25.2), (17.9, 26.7), (16, 26.7)),
        ((14.1, 26.7), (12.5, 25.2), (12.5, 23.2)),
        ((12.5, 21), (14.5, 19.5), (16, 17)),
    ),
)
#: the flame's extent in the 32×32 drawing: x from 8 to 24, y from 3 to 28
FLAME_CENTRE = (16.0, 15.5)
FLAME_HEIGHT = 25.0


def _polygon(outline: Outline, scale: float, offset: Point, steps: int = 48) -> list[Point]:
    (x0, y0), segments = outline
    points = [(x0, y0)]
    for (x1, y1), (x2, y2), (x3, y3) in segments:
        start_x, start_y = points[-1]
        for i in range(1, steps + 1):
            t = i / steps
            u = 1 - t
            a, b, c, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
            points.append((a * start_x + b * x1 + c * x2 + d * x3, a * start_y + b * y1 + c * y2 + d * y3))
    return [(offset[0] + x * scale, offset[1] + y * scale) for x, y in points]


def draw_flame(draw: ImageDraw.ImageDraw, centre: Point, height: float, background: tuple[int, int, int]) -> None:
    """A white flame ``height`` pixels tall, its extent centred on ``centre``."""
    scale = height / FLAME_HEIGHT
    offset = (centre[0] - FLAME_CENTRE[0] * scale, centre[1] - FLAME_CENTRE[1] * scale)
    draw.polygon(_polygon(FLAME, scale, offset), fill=WHITE)
    draw.polygon(_polygon(FLAME_HEART, scale, offset), fill=background)


def _finish(big: Image.Image, size: tuple[int, int]) -> Image.Image:
    return big.resize(size, Image.Resampling.LANCZOS)


def rounded_icon(size: int) -> Image.Image:
    """The favicon: a white flame on a red square with rounded corners (transparent outside)."""
    big_size = size * SUPERSAMPLE
    big = Image.new("RGBA", (big_size, big_size), (*RED, 0))
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, big_size - 1, big_size - 1), radius=big_size * 7 / 32, fill=RED)
    draw_flame(draw, (big_size / 2, FLAME_CENTRE[1] / 32 * big_size), big_size * FLAME_HEIGHT / 32, RED)
    return _finish(big, (size, size))


def full_bleed_icon(size: int, flame_share: float) -> Image.Image:
    """Red to every edge, for a platform that cuts its own shape: the flame ``flame_share`` of the height."""
    big_size = size * SUPERSAMPLE
    big = Image.new("RGB", (big_size, big_size), RED)
    draw_flame(ImageDraw.Draw(big), (big_size / 2, big_size / 2), big_size * flame_share, RED)
    return _finish(big, (size, size))


def font_file(family: str) -> str:
    found = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True)
    path = found.stdout.strip()
    if not path or not Path(path).exists():
        raise SystemExit(f"font {family!r} not found (install fonts-wqy-microhei)")
    return path


def _fitting_font(path: str, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    while True:
        font = ImageFont.truetype(path, size)
        if font.getlength(text) <= width or size <= 10:
            return font
        size -= 2


def share_card() -> Image.Image:
    """The 1200×630 picture shown beside a shared link: a red band, the flame and the slogan."""
    width, height, s = 1200, 630, SUPERSAMPLE
    big = Image.new("RGB", (width * s, height * s), LIGHT)
    draw = ImageDraw.Draw(big)
    band_top, band_bottom = 95 * s, 535 * s
    draw.rectangle((0, band_top, width * s, band_bottom), fill=RED)
    draw.rectangle((0, band_bottom, width * s, band_bottom + 12 * s), fill=YELLOW)
    middle = (band_top + band_bottom) / 2
    draw_flame(draw, (205 * s, middle), 300 * s, RED)

    path = font_file("WenQuanYi Micro Hei")
    text_left, text_width = 380 * s, 760 * s
    chinese = "人人学消防 · 安全你我他"
    english = "Fire Safety for Everyone"
    big_font = _fitting_font(path, chinese, 72 * s, text_width)
    small_font = _fitting_font(path, english, 48 * s, text_width)
    draw.text((text_left, middle - 14 * s), chinese, font=big_font, fill=WHITE, anchor="ls")
    draw.text((text_left, middle + 72 * s), english, font=small_font, fill=LIGHT, anchor="ls")
    return _finish(big, (width, height))


def save(image: Image.Image, path: Path, colours: int) -> None:
    """A flat drawing needs few colours: a palette of ``colours`` keeps the file small."""
    path.parent.mkdir(parents=True, exist_ok=True)
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    image.quantize(colors=colours, method=method).save(path, optimize=True)
    print(f"{path.relative_to(STATIC.parent.parent)}: {image.width}×{image.height}, {path.stat().st_size} bytes")


def main() -> None:
    icons = STATIC / "icons"
    save(rounded_icon(192), icons / "icon-192.png", 64)
    save(rounded_icon(512), icons / "icon-512.png", 64)
    # the maskable safe zone is a circle of 40% of the size: the flame's extent stays well inside it
    save(full_bleed_icon(512, 0.5), icons / "icon-maskable-512.png", 64)
    save(full_bleed_icon(180, FLAME_HEIGHT / 32 * 0.9), icons / "apple-touch-icon.png", 64)
    save(share_card(), STATIC / "share.png", 128)


if __name__ == "__main__":
    main()
