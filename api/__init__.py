"""/api/v1: JSON blueprints per resource, calling the same services as the site."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from api.schemas import ErrorSchema
from webapp.extensions import csrf


class ScopedApi(Api):
    """An Api that leaves error handling to the app, which answers JSON only under /api/."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


api = ScopedApi()


def init_api(app: Flask) -> None:
    from api import lessons, quizzes, regions

    api.init_app(app, spec_kwargs={"info": {"description": "Fire-safety lessons, quizzes and regions."}})
    for module in (regions, lessons, quizzes):
        csrf.exempt(module.blp)  # no cookies authenticate the API, so there is nothing to forge
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
