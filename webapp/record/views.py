"""The resident's record: what this phone's respondent has done, and how their community stands
in its street. Its own package, for it reads both the resident's side and the statistics, which
the resident's side does not know (the figures listen to it, not the other way round)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from webapp.certificates import service as certificates
from webapp.learn import service as learn
from webapp.learn.views import RESPONDENT_COOKIE, chosen_community, cookie_respondent, where_to_answer
from webapp.stats.labels import percent
from webapp.stats.standing import community_standing

bp = Blueprint("record", __name__, template_folder="templates")


@bp.get("/me")
def my_record() -> str:
    """This phone's own record, and how its community stands in its street."""
    respondent = cookie_respondent() if request.cookies.get(RESPONDENT_COOKIE) else None
    community = chosen_community() or (respondent.community if respondent else None)
    history = learn.history_of(respondent) if respondent else None
    library = current_app.extensions["library"]
    return render_template(
        "record/history.html",
        history=history,
        resume_url=where_to_answer(history.unfinished) if history and history.unfinished else None,
        quizzes=library.quizzes,
        catalog=library.catalog,
        certificates=certificates.certificates_of(respondent) if respondent else [],
        standing=community_standing(community) if community else None,
        percent=percent,
    )
