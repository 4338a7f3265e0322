"""The resident's certificate and share poster, and the public page that verifies a certificate."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response
from wtforms import StringField

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.models import Attempt, Draw
from webapp.certificates import images
from webapp.certificates import service as certificates
from webapp.certificates.models import MAX_NAME, Certificate
from webapp.errors import on_refusal
from webapp.extensions import limiter
from webapp.forms import Form
from webapp.i18n import current_lang
from webapp.learn.views import cookie_respondent
from webapp.ops.logs import path_kept_out_of_logs

bp = Blueprint("certificates", __name__, template_folder="templates")
bp.add_app_template_global(certificates.earns_certificate, "earns_certificate")

#: how long a browser may keep a picture: it changes only with its name or language, both in its URL
IMAGE_MAX_AGE = 3600


class NameForm(Form):
    #: room for spaces around the name, which are trimmed; the domain says when it is too long
    name = StringField(_l("Name on the certificate (optional)"), render_kw={"maxlength": MAX_NAME * 2})


def verify_rate_limit() -> str:
    """Verification pages per address, from VERIFY_RATE_LIMIT: enough to check a few, too few to guess codes."""
    return current_app.config["VERIFY_RATE_LIMIT"]


def library() -> Library:
    return current_app.extensions["library"]


def _handed_in(draw_id: str) -> tuple[Draw, Attempt | None]:
    """The resident's own draw (anyone else's is a 404) and its attempt, None before handing in."""
    draw = quizzes.load_draw(draw_id, cookie_respondent())
    return draw, draw.attempt


def _to_quiz(draw: Draw) -> Response:
    return redirect(url_for("learn.take_draw", draw_id=draw.id), code=303)


def _image_version(certificate: Certificate) -> str:
    """Changes with the name, so a kept picture is never the old one; keyed, so it reveals nothing."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{certificate.code}|{certificate.name or ''}".encode(), hashlib.sha256).hexdigest()[:12]


def image_response(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE}"
    return response


def _render_certificate(draw: Draw, attempt: Attempt, form: NameForm, status: int = 200) -> tuple[str, int]:
    certificate = certificates.certificate_for(attempt)
    if certificate is not None and not form.is_submitted():
        form.name.data = certificate.name
    page = render_template(
        "certificates/certificate.html",
        draw=draw,
        attempt=attempt,
        certificate=certificate,
        form=form,
        version=_image_version(certificate) if certificate else None,
        lang=current_lang(),
    )
    return page, status


@bp.get("/draws/<draw_id>/certificate")
def certificate_page(draw_id: str) -> Response | tuple[str, int]:
    """The resident's certificate with its downloads; before it is claimed, the form to claim it."""
    draw, attempt = _handed_in(draw_id)
    if attempt is None:
        return _to_quiz(draw)
    if not certificates.earns_certificate(attempt):
        raise certificates.CertificateNotEarned()
    return _render_certificate(draw, attempt, NameForm())


@bp.post("/draws/<draw_id>/certificate")
def claim_certificate(draw_id: str) -> Response | tuple[str, int]:
    """Claim the certificate of a passed survey, or change the name on it."""
    draw, attempt = _handed_in(draw_id)
    if attempt is None:
        return _to_quiz(draw)
    if not certificates.earns_certificate(attempt):
        raise certificates.CertificateNotEarned()
    form = NameForm()
    # the one refusal left is of the name: shown beside the field
    on_refusal(lambda _error: _render_certificate(draw, attempt, form, 422), form)
    if not form.validate_on_submit():
        return _render_certificate(draw, attempt, form, 422)
    certificates.issue_certificate(attempt, form.name.data)
    return redirect(url_for(".certificate_page", draw_id=draw.id), code=303)


@bp.post("/draws/<draw_id>/certificate/remove-name")
def remove_name(draw_id: str) -> Response:
    """Take the resident's name off their certificate (it stays valid, without a name)."""
    draw, attempt = _handed_in(draw_id)
    certificate = certificates.certificate_for(attempt) if attempt is not None else None
    if certificate is None:
        raise certificates.CertificateNotFound()
    certificates.remove_name(certificate)
    return redirect(url_for(".certificate_page", draw_id=draw.id), code=303)


@bp.get("/certificates/<code>.png")
@path_kept_out_of_logs
def certificate_png(code: str) -> Response:
    """The certificate as a picture, for its holder only (anyone else gets a 404)."""
    certificate = certificates.owned_certificate(code, cookie_respondent())
    facts = images.certificate_facts(certificate, library(), current_lang())
    return image_response(images.certificate_png(facts), "image/png", f"certificate-{certificate.code}.png")


@bp.get("/certificates/<code>.pdf")
@path_kept_out_of_logs
def certificate_pdf(code: str) -> Response:
    """The certificate as an A4 PDF, for its holder only."""
    certificate = certificates.owned_certificate(code, cookie_respondent())
    facts = images.certificate_facts(certificate, library(), current_lang())
    return image_response(images.certificate_pdf(facts), "application/pdf", f"certificate-{certificate.code}.pdf")


@bp.get("/verify")
def verify_form() -> Response | str:
    """Where a certificate's number can be typed in, to check it."""
    typed = request.args.get("code")
    if typed:
        code = certificates.normalise_code(typed)
        return redirect(url_for(".verify", code=code or typed[:40]), code=303)
    return render_template("certificates/verify_form.html")


@bp.get("/verify/<code>")
@path_kept_out_of_logs
@limiter.limit(verify_rate_limit, key_func=lambda: f"verify:{get_remote_address()}")
def verify(code: str) -> tuple[str, int, dict[str, str]]:
    """Public: whether a certificate with this code was issued, and what it says. No answers."""
    # a page a person's name may be on is no page for search engines
    headers = {"X-Robots-Tag": "noindex, nofollow"}
    facts = _facts_of(code)
    if facts is None:
        return render_template("certificates/verify_missing.html"), 404, headers
    return render_template("certificates/verify.html", facts=facts), 200, headers


def _facts_of(code: str) -> images.CertificateFacts | None:
    """What the certificate with ``code`` says: a survey's, or a training course's."""
    from webapp.training.certificates import find_training_certificate
    from webapp.training.pictures import training_certificate_facts

    certificate = certificates.find_certificate(code)
    if certificate is not None:
        return images.certificate_facts(certificate, library(), current_lang())
    trained = find_training_certificate(code)
    return training_certificate_facts(trained, library(), current_lang()) if trained is not None else None


@bp.get("/draws/<draw_id>/poster")
def poster_page(draw_id: str) -> Response | str:
    """A result's share poster, to press and hold and save on a phone."""
    draw, attempt = _handed_in(draw_id)
    if attempt is None:
        return _to_quiz(draw)
    return render_template(
        "certificates/poster.html",
        draw=draw,
        attempt=attempt,
        facts=images.poster_facts(draw, attempt, library(), current_lang()),
        size=images.POSTER_SIZE,
        lang=current_lang(),
    )


@bp.get("/draws/<draw_id>/poster.png")
def poster_png(draw_id: str) -> Response:
    draw, attempt = _handed_in(draw_id)
    if attempt is None:
        return _to_quiz(draw)
    body = images.poster_png(images.poster_facts(draw, attempt, library(), current_lang()))
    return image_response(body, "image/png", "fire-safety-result.png")
