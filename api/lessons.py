from __future__ import annotations

from dataclasses import asdict

from flask import abort, current_app
from flask_smorest import Blueprint

from api.docs import errors
from api.pagination import offset, page_of
from api.schemas import LangArgsSchema, LessonPageSchema, LessonQuerySchema, LessonSchema
from webapp.accounts.permissions import public

PREFIX = "/lessons"
blp = Blueprint("api_lessons", __name__, description="Lessons in Chinese and English")


def _catalog():
    return current_app.extensions["library"].catalog


@blp.get("")
@public
@blp.arguments(LessonQuerySchema, location="query")
@blp.response(200, LessonPageSchema)
@errors()
def list_lessons(args: dict) -> dict:
    """Lessons in one language, filtered by topic and audience."""
    found = _catalog().find_lessons(args["lang"], args.get("topic"), args.get("audience"))
    start = offset(args)
    return page_of(found[start : start + args["per_page"]], len(found), args["page"], args["per_page"])


@blp.get("/<slug>")
@public
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, LessonSchema)
@errors((404, "No lesson has this slug"))
def get_lesson(args: dict, slug: str) -> dict:
    """One lesson with its rendered, sanitized body."""
    lesson = _catalog().lesson(slug, args["lang"])
    if lesson is None:
        abort(404)
    return {**asdict(lesson), "check_quiz": f"check-{slug}"}
