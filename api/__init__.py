"""/api/v1: JSON blueprints per resource, calling the same services as the site."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import RAISE, Schema
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from api.docs import RequiredHeadersPlugin, document_errors, register_headers, servers, taxonomy_enum
from api.schemas import ErrorSchema
from webapp.extensions import csrf
from webapp.urls import MAX_POSITION, PositionConverter


class StrictParser(FlaskParser):
    """A query parameter the operation does not document is refused (422, named in ``fields``),
    as a body member is: a misspelt filter must not silently return everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type, Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        # Given a class, webargs builds a schema (deep-copying every field) on each request; one
        # instance per class serves them all, as loading keeps no state in it.
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            if argmap not in self._schemas:
                self._schemas[argmap] = argmap()
            return self._schemas[argmap]
        return super()._get_schema(argmap, req)

    def load_querystring(self, req: Any, schema: Any) -> Any:
        # ``lang`` picks the language of messages on every endpoint (webapp.i18n), not one operation's input
        kept = "lang" in schema.fields
        args = MultiDict([(k, v) for k, v in req.args.items(multi=True) if k != "lang" or kept])
        return self._makeproxy(args, schema)


# set before any resource module decorates its endpoints
ArgumentsMixin.ARGUMENTS_PARSER = StrictParser()


class ScopedApi(Api):
    """An Api that leaves error handling to the app, which answers JSON only under /api/."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        # every operation's error answers come from api.docs.errors(), added when documented
        if document_errors not in blp._prepare_doc_cbks:
            blp._prepare_doc_cbks.append(document_errors)
        super().register_blueprint(blp, **options)


api = ScopedApi()


#: resource modules, each with ``blp`` and ``PREFIX``; later capabilities add theirs here
RESOURCES = [
    "api.regions",
    "api.lessons",
    "api.quizzes",
    "api.auth",
    "api.volunteers",
    "api.campaigns",
    "api.audit",
    "api.stats",
    "api.monitoring",
    "api.training",
]


def _allow(response: Response) -> Response:
    """RFC 9110: a 405 names the methods the resource does answer, so clients can correct themselves."""
    if response.status_code == 405 and "Allow" not in response.headers and request.path.startswith("/api/"):
        methods = current_app.url_map.bind_to_environ(request.environ).allowed_methods(request.path)
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def init_api(app: Flask) -> None:
    from importlib import import_module

    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "Fire-safety lessons, quizzes, volunteers and campaigns."},
            "servers": servers(app),
            "extra_plugins": [RequiredHeadersPlugin()],
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_converter(PositionConverter, lambda _c: {"type": "integer", "minimum": 0, "maximum": MAX_POSITION})
    register_headers(api.spec)
    app.after_request(_allow)
    api.ma_plugin.converter.add_attribute_function(taxonomy_enum(app))
    for module in (import_module(name) for name in RESOURCES):
        csrf.exempt(module.blp)  # no cookies authenticate the API, so there is nothing to forge
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
