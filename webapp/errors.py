"""One error path: JSON under /api, one HTML template everywhere else.

Every error leaves as ``{"error": {"status": N, "message": "..."}}`` or the
error page; a 500 is logged with its traceback and shown without it.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from kb.errors import IndexDamagedError, QueryError, SearchIndexError

MESSAGES = {
    400: "That request has a parameter the site cannot use.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    500: "Something went wrong on our side. Please try again.",
    503: "Search is not available right now: the search index is missing.",
}
DAMAGED = ("Search is not available right now: the search index is damaged; "
           "`kb index --full` rebuilds it.")


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    message = message or MESSAGES.get(status, "Error")
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        response = Response(render_template("error.html", status=status, message=message),
                            mimetype="text/html")
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if status == 405:
        allow = exc.get_response().headers.get("Allow")
        if allow:
            headers["Allow"] = allow
    # Werkzeug's own descriptions talk to developers; ours to readers, but a
    # message given on purpose (abort(404, "No article ...")) is kept.
    message = exc.description if exc.description != type(exc).description else None
    return error_response(status, message, headers)


def _query_error(exc: QueryError) -> Response:
    return error_response(400, exc.message)


def _index_error(exc: SearchIndexError) -> Response:
    current_app.logger.error("search index unavailable: %s", exc)
    return error_response(503, DAMAGED if isinstance(exc, IndexDamagedError) else None)


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("unhandled error on %s", request.path)
    return error_response(500)


def _refuse_redirects_and_options() -> Response | None:
    """Before any view. Werkzeug answers a path it would tidy ("//",
    "%2F" in an id) with a 308 whose Location is built from the request's
    Host header, a redirect to any host a client names: the site redirects
    nowhere, such a path is not found. And OPTIONS, which Flask answers
    itself on every route, gets a 405 like every other method the route
    does not take."""
    if isinstance(request.routing_exception, RequestRedirect):
        return error_response(404)
    rule = request.url_rule
    if request.method == "OPTIONS" and rule is not None:
        return _http_error(MethodNotAllowed(
            valid_methods=sorted((rule.methods or set()) - {"OPTIONS"})))
    return None


def init_app(app: Flask) -> None:
    app.before_request(_refuse_redirects_and_options)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(SearchIndexError, _index_error)
    app.register_error_handler(Exception, _unexpected)
