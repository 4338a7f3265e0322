"""Marshmallow schemas: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from api.timestamps import DateTime
from quizzes.service import InvalidAnswers
from webapp.errors import message
from webapp.i18n import LANG_TAG, current_lang, normalise_lang
from webapp.person_data import PERSON_EXPORT_FORMATS
from webapp.regions.models import LEVELS
from webapp.text import CONTROL_CHARACTERS, MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, has_control_characters
from webapp.urls import MAX_POSITION


class Known(validate.Validator):
    """One of the taxonomy's tags of ``kind`` ("topics" or "audiences"), read from the loaded content;
    the OpenAPI document lists them (see api.docs.taxonomy_enum)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def tags(self) -> list[str]:
        return list(getattr(current_app.extensions["library"].catalog.taxonomy, self.kind))

    def __call__(self, value: str) -> str:
        tags = self.tags()
        if value in tags:
            return value
        listed = ", ".join(tags)
        if self.kind == "topics":
            raise ValidationError(_("Unknown topic; choose one of: %(tags)s.", tags=listed))
        raise ValidationError(_("Unknown audience; choose one of: %(tags)s.", tags=listed))


class Text(fields.String):
    """Every string the API takes: printable text only (see webapp.text).

    ``multiline=True`` lets tab and line breaks through, for notes and the like.
    """

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any) -> None:
        # the OpenAPI document says so, so that generated clients and fuzzers send what is taken
        metadata = {"pattern": MULTI_LINE_PATTERN if multiline else SINGLE_LINE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(*args, metadata=metadata, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_control_characters(text, multiline=self.multiline):
            raise ValidationError(message(CONTROL_CHARACTERS))
        return text


class Lang(Text):
    """A content language in any common spelling, as "zh_Hans" or "en"; absent, the request's language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_default=current_lang,
            validate=validate.Length(max=35),
            metadata={
                "pattern": LANG_TAG,
                "description": "zh_Hans or en, also as zh, zh-CN, zh-Hans, en-US…; "
                "default: the request's language (the lang cookie, else Accept-Language)",
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        lang = normalise_lang(super()._deserialize(value, attr, data, **kwargs))
        if lang is None:
            raise ValidationError(_("Choose zh_Hans (Chinese) or en (English)."))
        return lang


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable reason"})
    message = fields.String(required=True, metadata={"description": "human-readable, in the request's language"})
    # before ``fields`` below, which hides marshmallow's module of that name in this class
    request_id = fields.String(
        required=True,
        metadata={"description": "this request's id (the X-Request-ID response header), to quote when reporting it"},
    )
    fields = fields.Dict(metadata={"description": "per-field problems for invalid input"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PersonExportArgsSchema(Schema):
    format = Text(load_default="json", validate=validate.OneOf(PERSON_EXPORT_FORMATS))


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(Schema):
    page = fields.Integer(required=True, metadata={"description": "this page's number, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "items per page asked for"})
    total = fields.Integer(required=True, metadata={"description": "items on every page together"})


# --- regions ---------------------------------------------------------------------


class RegionQuerySchema(PageArgsSchema):
    q = Text(validate=validate.Length(max=50), metadata={"description": "part of a name (zh or en) or code"})
    level = Text(validate=validate.OneOf(LEVELS))


class RegionSchema(Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    level = fields.String(required=True)
    population = fields.Integer(allow_none=True, metadata={"description": "resident population (常住人口)"})
    parent_code = fields.Function(lambda r: r.parent.code if r.parent else None, allow_none=True)
    is_demo = fields.Boolean(required=True, metadata={"description": "invented demo data"})


class RegionPageSchema(PageSchema):
    items = fields.List(fields.Nested(RegionSchema), required=True)


# --- lessons ---------------------------------------------------------------------


class LangArgsSchema(Schema):
    lang = Lang()


class LessonQuerySchema(PageArgsSchema, LangArgsSchema):
    topic = Text(validate=Known("topics"))
    audience = Text(validate=Known("audiences"))


class LessonSummarySchema(Schema):
    slug = fields.String(required=True)
    lang = fields.String(required=True)
    title = fields.String(required=True)
    topic = fields.String(required=True)
    audiences = fields.List(fields.String(), required=True)
    summary = fields.String(required=True)
    reading_minutes = fields.Integer(required=True)


class LessonSchema(LessonSummarySchema):
    html = fields.String(required=True, metadata={"description": "sanitized HTML of the lesson body"})
    check_quiz = fields.String(required=True, metadata={"description": "slug of the lesson's short check"})


class LessonPageSchema(PageSchema):
    items = fields.List(fields.Nested(LessonSummarySchema), required=True)


# --- quizzes, draws and submissions ---------------------------------------------


class QuizSchema(Schema):
    slug = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "survey (counts for awareness), practice or check"})
    title = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    n_questions = fields.Integer(required=True)
    pass_mark = fields.Float(required=True)
    time_limit_seconds = fields.Integer(allow_none=True)
    topic = fields.String(allow_none=True)
    lesson = fields.String(allow_none=True)


class QuizListSchema(Schema):
    items = fields.List(fields.Nested(QuizSchema), required=True)


class RespondentHeaderSchema(Schema):
    token = Text(data_key="X-Respondent-Token", validate=validate.Length(max=128))


class SubmissionHeaderSchema(RespondentHeaderSchema):
    idempotency_key = Text(
        data_key="Idempotency-Key",
        validate=validate.Length(min=8, max=64),
        metadata={"description": "chosen by the client; a retry with the same key returns the first result"},
    )


class DrawRequestSchema(Schema):
    community = Text(
        required=True, validate=validate.Length(min=1, max=32), metadata={"description": "community or village code"}
    )
    activity = Text(
        validate=validate.Length(min=1, max=16),
        metadata={"description": "code of the campaign activity whose QR code brought the respondent"},
    )


class ServedOptionSchema(Schema):
    position = fields.Integer(required=True)
    text = fields.String(required=True)


class ServedQuestionSchema(Schema):
    position = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"description": "single, multiple or truefalse"})
    stem = fields.String(required=True)
    options = fields.List(fields.Nested(ServedOptionSchema), required=True)


class DrawSchema(Schema):
    id = fields.String(required=True)
    quiz = fields.String(required=True)
    kind = fields.String(required=True)
    community = fields.String(required=True)
    served_at = DateTime(required=True)
    deadline_at = DateTime(allow_none=True, metadata={"description": "hand in before this for the attempt to count"})
    expires_at = DateTime(required=True)
    submitted = fields.Boolean(required=True)
    questions = fields.List(fields.Nested(ServedQuestionSchema), required=True)
    respondent_token = fields.String(
        allow_none=True, metadata={"description": "issued once when the request carried no valid token; keep it"}
    )


#: an option's position as served, and how many may be chosen in one answer
MAX_OPTION, MAX_CHOICES = 9, 10


def _choices_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_OPTION)),
        required=True,
        validate=validate.Length(max=MAX_CHOICES),
        **kwargs,
    )


class AnswerInputSchema(Schema):
    position = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_POSITION))
    choices = _choices_field()


def _in_shape(answer: Any) -> bool:
    """Exactly what AnswerInputSchema accepts, checked without it; False for anything else."""
    if type(answer) is not dict or answer.keys() != {"position", "choices"}:
        return False
    position, choices = answer["position"], answer["choices"]
    return (
        type(position) is int
        and 0 <= position <= MAX_POSITION
        and type(choices) is list
        and len(choices) <= MAX_CHOICES
        and all(type(choice) is int and 0 <= choice <= MAX_OPTION for choice in choices)
    )


class AnswerList(fields.List):
    """A list of AnswerInputSchema. marshmallow spends tens of microseconds on each nested
    answer, and a hand-in sends ten or more on the busiest path: a list in exactly the
    documented shape is taken as it is; anything else goes through the schema, which names
    each fault. The list's own validators run either way."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if type(value) is list and all(_in_shape(answer) for answer in value):
            return [{"position": answer["position"], "choices": list(answer["choices"])} for answer in value]
        return super()._deserialize(value, attr, data, **kwargs)


class SavedChoicesSchema(Schema):
    choices = _choices_field(
        metadata={"description": "option positions as served; an empty list clears the answer"},
    )


class SavedAnswerSchema(SavedChoicesSchema):
    position = fields.Integer(required=True)


class SavedAnswersSchema(Schema):
    items = fields.List(fields.Nested(SavedAnswerSchema), required=True)


class SubmissionSchema(Schema):
    answers = AnswerList(fields.Nested(AnswerInputSchema), required=True, validate=validate.Length(max=100))


def answer_choices(body: dict) -> dict[int, list[int]]:
    """A submission's answers as option positions per question position (a survey's or an interview's).

    :raises InvalidAnswers: the same position twice.
    """
    choices: dict[int, list[int]] = {}
    for answer in body["answers"]:
        if answer["position"] in choices:
            raise InvalidAnswers()
        choices[answer["position"]] = answer["choices"]
    return choices


class FeedbackOptionSchema(Schema):
    position = fields.Integer(required=True)
    text = fields.String(required=True)
    chosen = fields.Boolean(required=True)
    correct = fields.Boolean(required=True)


class FeedbackSchema(Schema):
    position = fields.Integer(required=True)
    question_id = fields.String(required=True)
    topic = fields.String(required=True, metadata={"description": "the slug of the question's topic"})
    type = fields.String(required=True)
    stem = fields.String(required=True)
    options = fields.List(fields.Nested(FeedbackOptionSchema), required=True)
    answered = fields.Boolean(required=True)
    correct = fields.Boolean(required=True)
    explanation = fields.String(required=True)
    lesson_slug = fields.String(required=True)
    lesson_title = fields.String(required=True)


class ResultSchema(Schema):
    draw_id = fields.String(required=True)
    quiz = fields.String(required=True)
    kind = fields.String(required=True)
    community = fields.String(required=True)
    n_questions = fields.Integer(required=True)
    n_answered = fields.Integer(required=True)
    n_correct = fields.Integer(required=True)
    score = fields.Float(required=True, metadata={"description": "share of questions answered correctly"})
    valid = fields.Boolean(required=True, metadata={"description": "complete and on time: counts for awareness"})
    passed = fields.Boolean(required=True)
    items = fields.List(fields.Nested(FeedbackSchema), required=True)
