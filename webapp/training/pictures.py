"""What a training certificate says, in one language, for its picture, its PDF and the public check."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from quizzes.library import Library
from webapp.certificates.images import CertificateFacts
from webapp.clock import local_today
from webapp.links import public_url
from webapp.training.labels import role_name
from webapp.training.models import TrainingCertificate


def _hours(hours: float) -> str:
    return f"{hours:g}"


def training_certificate_facts(certificate: TrainingCertificate, library: Library, lang: str) -> CertificateFacts:
    course = library.courses.get(certificate.course_slug)
    title = course.title[lang] if course is not None else certificate.course_slug
    hours = _hours(certificate.hours)
    if certificate.offline:
        body = _(
            "completed the course %(course)s (%(hours)s study hours) in offline training.", course=title, hours=hours
        )
    else:
        body = _(
            "completed the course %(course)s (%(hours)s study hours) and passed its exam.", course=title, hours=hours
        )
    issued = format_date(certificate.issued_on, format="long")
    site = _("Fire Safety for Everyone")
    # an erased person's certificate stays checkable, without their name
    name = certificate.member.name or None
    return CertificateFacts(
        title=_("Fire Safety Training Certificate"),
        name=name,
        body=body,
        rows=(
            (_("Unit"), certificate.unit.name),
            (_("Post"), role_name(certificate.role)),
            (_("Study hours"), hours),
            (_("Date of issue"), issued),
            (_("Valid until"), format_date(certificate.valid_until, format="long")),
            (_("Certificate number"), certificate.display_code),
        ),
        date=issued,
        code=certificate.display_code,
        verify_url=public_url("certificates.verify", code=certificate.code),
        site=site,
        issued_for=_("%(site)s issued it for key-population fire-safety training.", site=site),
        valid=certificate.valid_on(local_today()),
    )
