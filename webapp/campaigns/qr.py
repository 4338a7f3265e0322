"""QR codes (segno) for communities and activities: the URL each encodes, as SVG or PNG.

A community's code leads residents to ``/c/<code>`` (their answers count for it); an
activity's code leads to ``/a/<code>`` (their quiz attempts count for the activity too).
"""

from __future__ import annotations

import io

import segno
from werkzeug.routing import BuildError

from webapp.campaigns.models import Activity
from webapp.links import public_url
from webapp.regions.models import Region

#: M survives a poster that is creased or partly covered; segno raises it when it fits
ERROR_LEVEL = "m"
#: pixels per module in a PNG: a version-3 code is then 370 px, sharp on an A4 print
PNG_SCALE = 10
BORDER = 4  # the quiet zone the standard asks for, in modules


def community_url(community: Region) -> str:
    """The absolute address a community's QR code encodes."""
    return public_url("learn.community_entry", code=community.code)


def activity_url(activity: Activity) -> str:
    """The absolute address an activity's QR code encodes.

    Falls back to ``/a/<code>`` at the site's root while the resident route does not exist.
    """
    try:
        return public_url("learn.activity_entry", code=activity.code)
    except BuildError:
        return public_url("learn.home") + f"a/{activity.code}"


def make(data: str) -> segno.QRCode:
    """A regular (never micro) QR code for ``data``."""
    return segno.make(data, error=ERROR_LEVEL, micro=False)


def svg_document(data: str, title: str) -> bytes:
    """A stand-alone SVG file, for download and printing shops."""
    buffer = io.BytesIO()
    make(data).save(buffer, kind="svg", scale=10, border=BORDER, title=title, xmldecl=True, encoding="utf-8")
    return buffer.getvalue()


def svg_inline(data: str, title: str) -> str:
    """SVG markup to embed in a page; it scales to its container (no fixed size, a viewBox)."""
    return make(data).svg_inline(scale=1, border=BORDER, omitsize=True, title=title, svgclass="qr-code")


def png(data: str, scale: int = PNG_SCALE) -> bytes:
    buffer = io.BytesIO()
    make(data).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()
