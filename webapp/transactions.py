"""One transaction per request and per CLI command, committed or rolled back here only.

A view or API endpoint never commits: once it has answered with a status below 400 the
request's work is committed; an error status or any exception rolls it back, so a refusal
leaves nothing half-written. Service functions flush at most. The rare handler that must
commit earlier (an audited read that is refused, a body serialised after the commit) says
why beside its ``commit()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.typing import ResponseReturnValue

from webapp.extensions import db


class TransactionalFlask(Flask):
    def dispatch_request(self) -> ResponseReturnValue:
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            db.session.rollback()
            raise
        # a page that touched no database has no session to end, and none is made to ask
        if not db.session.registry.has() or not db.session().in_transaction():
            return response
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


@contextmanager
def transaction() -> Iterator[None]:
    """A CLI command's unit of work: committed when the block ends, rolled back if it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
