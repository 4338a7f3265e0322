"""The pictures: a certificate as PNG (Pillow) and PDF (WeasyPrint), and a share poster as PNG.

What a certificate shows is gathered once in :class:`CertificateFacts`, so the picture, the PDF
and the public verification page cannot say different things. A poster shows a result's score
and the community's QR code, and nothing of the questions or answers.

Everything is drawn in memory, in the request's language, and nothing is kept on disk. Chinese
text needs a CJK font: CJK_FONT_PATH if set, else the one fontconfig finds for WenQuanYi Micro Hei.
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from flask import current_app, render_template
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont

from quizzes.library import Library
from quizzes.models import Attempt, Draw
from webapp.campaigns import qr
from webapp.certificates.models import Certificate
from webapp.clock import local_date
from webapp.errors import DomainError
from webapp.links import public_url
from webapp.regions.models import Region

#: the family fontconfig is asked for; Debian's fonts-wqy-microhei has it
CJK_FAMILY = "WenQuanYi Micro Hei"
FC_MATCH = "fc-match"

#: A4 portrait at 150 dpi: sharp on a phone, and prints as a page
CERTIFICATE_SIZE = (1240, 1754)
#: a phone screen, to be pressed and held and saved, then shared in a chat
POSTER_SIZE = (750, 1334)
#: colours a picture is reduced to
PALETTE_COLOURS = 48

RED = (179, 38, 30)
RED_DARK = (140, 29, 24)
GOLD = (184, 142, 48)
INK = (27, 27, 27)
MUTED = (74, 74, 74)
PAPER = (255, 252, 244)
WHITE = (255, 255, 255)
GREEN = (30, 107, 52)


class ImagesUnavailable(DomainError):
    """No font for Chinese text: the operator must install one or set CJK_FONT_PATH.

    The person asking sees that pictures cannot be made now; the log says what to fix.
    """

    code, status = "images_unavailable", 503


# --- fonts -----------------------------------------------------------------------------------


@cache
def _fontconfig_cjk_font() -> str | None:
    """The file of a font with simplified Chinese, as fontconfig finds it; asked once per process."""
    try:
        found = subprocess.run(
            [FC_MATCH, "-f", "%{file}\n%{lang}", CJK_FAMILY], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path, _sep, langs = found.stdout.partition("\n")
    # fc-match always answers with something: only a font that covers Chinese will do
    if found.returncode != 0 or "zh-cn" not in langs.split("|") or not Path(path).is_file():
        return None
    return path


def cjk_font_path() -> str:
    """The font file the pictures are drawn with.

    :raises ImagesUnavailable: when CJK_FONT_PATH names no file, or no Chinese font is installed.
    """
    configured = current_app.config.get("CJK_FONT_PATH")
    path = configured or _fontconfig_cjk_font()
    if not path or not Path(path).is_file():
        current_app.logger.error(
            "no font for Chinese text%s: install fonts-wqy-microhei or set CJK_FONT_PATH to a .ttf/.ttc/.otf file",
            f" at CJK_FONT_PATH={configured}" if configured else "",
        )
        raise ImagesUnavailable()
    return path


@lru_cache(maxsize=64)
def _font_file(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return _font_file(cjk_font_path(), size)


# --- what a certificate says -----------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    """Everything a certificate shows, in one language: a survey's or a training course's."""

    title: str
    name: str | None
    #: the sentence under the name: what the holder did
    body: str
    #: (label, value) lines under the body, in order
    rows: tuple[tuple[str, str], ...]
    date: str
    code: str
    verify_url: str
    site: str
    #: what the public check says the certificate was issued for
    issued_for: str
    #: whether it still counts on the day it is looked at (a training certificate expires)
    valid: bool = True


def verification_url(certificate: Certificate) -> str:
    """The absolute address of the public page that says the certificate is genuine (its QR code)."""
    return public_url("certificates.verify", code=certificate.code)


def community_label(community: Region, lang: str) -> str:
    """A community with its street, as a resident reads the two together."""
    if community.parent is None:
        return community.name(lang)
    return _("%(community)s, %(street)s", community=community.name(lang), street=community.parent.name(lang))


def quiz_title(library: Library, slug: str, lang: str) -> str:
    quiz = library.quizzes.get(slug)
    return quiz.title[lang] if quiz is not None else slug


def certificate_facts(certificate: Certificate, library: Library, lang: str) -> CertificateFacts:
    issued = format_date(local_date(certificate.issued_at), format="long")
    site = _("Fire Safety for Everyone")
    quiz = quiz_title(library, certificate.quiz_slug, lang)
    return CertificateFacts(
        title=_("Fire Safety Knowledge Certificate"),
        name=certificate.name,
        body=_("passed the %(quiz)s and has shown sound knowledge of fire safety.", quiz=quiz),
        rows=(
            (_("Community"), community_label(certificate.community, lang)),
            (_("Date of issue"), issued),
            (_("Certificate number"), certificate.display_code),
        ),
        date=issued,
        code=certificate.display_code,
        verify_url=verification_url(certificate),
        site=site,
        issued_for=_("%(site)s issued it for a passed fire-safety awareness survey.", site=site),
    )


# --- drawing helpers -------------------------------------------------------------------------

#: a wide (CJK) character may end a line anywhere; other text breaks between words
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\u3000-\u303f]+|\s+")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        candidate = line + token
        if line and font.getlength(candidate.rstrip()) > width and not token.isspace():
            lines.append(line.rstrip())
            line = token
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return lines


def _fitting(text: str, size: int, width: int, smallest: int) -> ImageFont.FreeTypeFont:
    """The font of ``size`` or smaller (down to ``smallest``) that puts ``text`` on one line of ``width``."""
    font = _font(size)
    while size > smallest and font.getlength(text) > width:
        size -= 2
        font = _font(size)
    return font


def _centred(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
    width: int,
    bold: bool = False,
    spacing: float = 1.45,
    margin: int = 0,
) -> int:
    """Draw ``text`` centred across ``width`` from ``y``, wrapped ``margin`` inside each side; the y below it."""
    size = font.size
    for line in _wrap(text, font, width - 2 * (margin + int(size))):
        draw.text(
            (width / 2, y),
            line,
            font=font,
            fill=fill,
            anchor="ma",
            stroke_width=(2 if size >= 40 else 1) if bold else 0,
            stroke_fill=fill,
        )
        y += int(size * spacing)
    return y


#: the smallest QR code a certificate prints, in pixels of the 1240-wide picture
MIN_QR_SIZE = 200


def _qr_image(url: str, size: int) -> Image.Image:
    """The QR code of ``url``, at the largest whole number of pixels per module within ``size``."""
    modules = int(qr.make(url).symbol_size(scale=1, border=qr.BORDER)[0])
    image = Image.open(io.BytesIO(qr.png(url, scale=max(1, size // modules))))
    return image.convert("RGB")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # a palette of few colours: flat colours and anti-aliased text need no more, and a phone on a
    # slow network loads a third of the bytes
    image = image.convert("RGB").quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _flame(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, fill: tuple[int, int, int]) -> None:
    """A flame: a round bottom drawn up into a point."""
    draw.ellipse((cx - r, cy - r // 3, cx + r, cy + r * 5 // 3), fill=fill)
    draw.polygon([(cx - r, cy + r * 2 // 3), (cx + r, cy + r * 2 // 3), (cx + r // 5, cy - r * 2)], fill=fill)


def _emblem(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=RED)
    draw.ellipse((cx - r + 8, cy - r + 8, cx + r - 8, cy + r - 8), outline=GOLD, width=4)
    _flame(draw, cx, cy, r * 2 // 5, WHITE)
    _flame(draw, cx + 2, cy + r // 4, r // 5, RED)


def _divider(draw: ImageDraw.ImageDraw, y: int, width: int, span: int) -> None:
    cx = width // 2
    draw.line((cx - span, y, cx - 24, y), fill=GOLD, width=3)
    draw.line((cx + 24, y, cx + span, y), fill=GOLD, width=3)
    draw.polygon([(cx, y - 12), (cx + 12, y), (cx, y + 12), (cx - 12, y)], fill=GOLD)


# --- the certificate -------------------------------------------------------------------------


def certificate_png(facts: CertificateFacts) -> bytes:
    """The certificate as a portrait picture, A4 in proportion."""
    width, height = CERTIFICATE_SIZE
    image = Image.new("RGB", CERTIFICATE_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    # a red frame, a gold rule inside it, gold corners
    draw.rectangle((36, 36, width - 37, height - 37), outline=RED, width=18)
    draw.rectangle((74, 74, width - 75, height - 75), outline=GOLD, width=3)
    for x, y in ((74, 74), (width - 75, 74), (74, height - 75), (width - 75, height - 75)):
        draw.polygon([(x, y - 22), (x + 22, y), (x, y + 22), (x - 22, y)], fill=GOLD)

    _emblem(draw, width // 2, 230, 84)
    y = _centred(draw, 360, facts.title, _fitting(facts.title, 76, width - 260, 40), RED, width, bold=True)
    _divider(draw, y + 10, width, 300)
    y += 90

    y = _centred(draw, y, _("This certifies that"), _font(42), MUTED, width)
    if facts.name:
        name_font = _fitting(facts.name, 84, width - 300, 44)
        draw.text(
            (width / 2, y + 10), facts.name, font=name_font, fill=INK, anchor="ma", stroke_width=1, stroke_fill=INK
        )
        y += int(name_font.size * 1.35) + 10
    else:
        y = _centred(draw, y + 10, _("the holder of this certificate"), _font(56), INK, width) + 10
    draw.line((width // 2 - 300, y, width // 2 + 300, y), fill=INK, width=2)
    y += 50
    y = _centred(draw, y, facts.body, _font(44), INK, width, spacing=1.6, margin=90) + 40

    rows = facts.rows
    label_font, value_font = _font(34), _font(38)
    left = 190
    column = max(int(label_font.getlength(label)) for label, _value in rows) + 36
    # a training certificate has twice the rows of a survey's: they sit closer, and the QR code
    # takes what room is left below them (never less than a phone reads at arm's length)
    gap = 18 if len(rows) <= 3 else 6
    for label, value in rows:
        draw.text((left, y), label, font=label_font, fill=MUTED)
        lines = _wrap(value, value_font, width - 2 * left - column)
        for i, line in enumerate(lines):
            draw.text((left + column, y - 2 + i * 54), line, font=value_font, fill=INK)
        y += 54 * max(1, len(lines)) + gap

    qr_size = max(MIN_QR_SIZE, min(300, height - 230 - y))
    code = _qr_image(facts.verify_url, qr_size)
    top = height - 140 - code.height - 70
    image.paste(code, ((width - code.width) // 2, top))
    _centred(draw, top + code.height + 12, _("Scan to check that this certificate is genuine"), _font(30), MUTED, width)
    _centred(draw, height - 130, facts.site, _font(34), RED_DARK, width, bold=True)
    return _png(image)


def certificate_pdf(facts: CertificateFacts) -> bytes:
    """The certificate as an A4 PDF, rendered by WeasyPrint (imported only here) from HTML."""
    from weasyprint import HTML

    html = render_template(
        "certificates/certificate_print.html",
        facts=facts,
        font_url=Path(cjk_font_path()).as_uri(),
        qr_svg=Markup(qr.svg_inline(facts.verify_url, _("QR code to check the certificate"))),
    )
    # nothing is fetched: the font is a local file and the QR code is inline
    return HTML(string=html, base_url=current_app.static_folder).write_pdf()


# --- the share poster ------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterFacts:
    """What a share poster shows: a score and where to take the quiz, never a question or answer."""

    percent: str
    share: float
    tally: str
    quiz: str
    passed: bool
    community: str
    community_url: str
    site: str


def poster_facts(draw: Draw, attempt: Attempt, library: Library, lang: str) -> PosterFacts:
    return PosterFacts(
        percent=format_percent(attempt.score, "#,##0%"),
        share=min(1.0, max(0.0, attempt.score)),
        tally=_("%(total)s questions, %(correct)s right", total=attempt.n_questions, correct=attempt.n_correct),
        quiz=quiz_title(library, attempt.quiz_slug, lang),
        passed=attempt.passed,
        community=community_label(draw.community, lang),
        community_url=qr.community_url(draw.community),
        site=_("Fire Safety for Everyone"),
    )


def _ring(share: float, diameter: int, thickness: int) -> Image.Image:
    """The score as a ring filled clockwise from the top, drawn large and scaled down to smooth it."""
    scale = 4
    big = diameter * scale
    ring = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(ring)
    box = (0, 0, big - 1, big - 1)
    draw.ellipse(box, outline=(243, 214, 211, 255), width=thickness * scale)
    if share > 0:
        draw.arc(box, start=-90, end=-90 + 360 * share, fill=(*RED, 255), width=thickness * scale)
    return ring.resize((diameter, diameter), Image.Resampling.LANCZOS)


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        column.putpixel((0, y), tuple(round(a + (b - a) * y / 255) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size, Image.Resampling.BICUBIC)


def poster_png(facts: PosterFacts) -> bytes:
    """A phone-sized poster of a result, with the community's QR code to take the quiz."""
    width, height = POSTER_SIZE
    image = _gradient(POSTER_SIZE, (214, 52, 40), RED_DARK)
    draw = ImageDraw.Draw(image)
    y = _centred(draw, 54, facts.site, _font(28), (255, 228, 222), width)
    _centred(
        draw,
        y + 4,
        _("My fire-safety quiz result"),
        _fitting(_("My fire-safety quiz result"), 44, 620, 30),
        WHITE,
        width,
        bold=True,
    )

    # the white card with the score
    card = (40, 200, width - 40, 770)
    draw.rounded_rectangle(card, radius=28, fill=WHITE)
    diameter, cy = 300, 400
    image.paste(ring := _ring(facts.share, diameter, 28), ((width - diameter) // 2, cy - diameter // 2), ring)
    draw.text((width / 2, cy), facts.percent, font=_font(88), fill=RED, anchor="mm", stroke_width=2, stroke_fill=RED)
    y = _centred(draw, cy + diameter // 2 + 26, facts.tally, _font(36), INK, width, bold=True)
    y = _centred(draw, y, facts.quiz, _font(28), MUTED, width, margin=40)
    verdict = _("Reached the pass mark") if facts.passed else _("Learn a little more and try again")
    badge_font = _font(28)
    badge_width = int(badge_font.getlength(verdict)) + 48
    colour = GREEN if facts.passed else RED_DARK
    draw.rounded_rectangle(
        ((width - badge_width) // 2, y + 4, (width + badge_width) // 2, y + 56), radius=26, outline=colour, width=3
    )
    draw.text((width / 2, y + 30), verdict, font=badge_font, fill=colour, anchor="mm")

    y = _centred(draw, 800, facts.community, _font(30), (255, 228, 222), width)
    cta = _("Scan to test your fire-safety knowledge")
    y = _centred(draw, y + 6, cta, _fitting(cta, 44, 640, 30), WHITE, width, bold=True)

    code = _qr_image(facts.community_url, 270)
    box = 14
    left, top = (width - code.width) // 2, min(y + 30, height - 96 - code.height)
    draw.rounded_rectangle(
        (left - box, top - box, left + code.width + box, top + code.height + box), radius=18, fill=WHITE
    )
    image.paste(code, (left, top))
    _centred(draw, height - 58, _("In a fire, call 119 first."), _font(26), (255, 228, 222), width)
    return _png(image)
