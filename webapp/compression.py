"""Pages and JSON answers sent gzip-compressed to browsers that accept it.

A lesson page shrinks to about a third, which counts on a slow phone connection. Static files
are not touched here: whitenoise serves them from copies compressed at install time. Level 5
costs a fraction of a millisecond on a page (well under the time to render it) and gives
nearly all of what level 9 would.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

#: below this a compressed body saves too little to be worth it (and may even grow)
MIN_SIZE = 1024
LEVEL = 5
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/plain",
        "text/javascript",
        "application/json",
        "application/problem+json",
        "application/manifest+json",
    }
)


def _compressible(response: Response) -> bool:
    return (
        response.mimetype in COMPRESSIBLE
        and not response.direct_passthrough
        and not response.is_streamed
        and not response.headers.getlist("Content-Encoding")  # `in` would raise and catch
        and response.status_code >= 200
        and response.status_code not in (204, 206, 304)
    )


def compress(response: Response) -> Response:
    """``response`` gzip-encoded when the client accepts gzip and the body is worth it."""
    if not _compressible(response):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:  # never compressed, whatever the request accepts
        return response
    # whether this address is compressed depends on the request's Accept-Encoding
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))  # sets Content-Length
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        # the compressed bytes differ from the ones a strong tag vouches for; a weak tag still
        # matches the same content in If-None-Match, as nginx does it
        response.set_etag(etag, weak=True)
    return response


def init_compression(app: Flask) -> None:
    # after_request handlers run last-registered first: put first, this one runs after every
    # other handler, on the body they leave
    app.after_request_funcs.setdefault(None, []).insert(0, compress)
