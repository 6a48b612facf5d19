"""Errors -> HTTP status and one JSON body shape: ``{"code": ..., "message": ...}``.

Domain errors from ``routing.errors`` are mapped once here (CONVENTIONS section 5);
handlers never catch them. Anything unexpected is a 500 with no internals in the body,
only the request id to find the log line.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from routing.errors import (
    EditRefusedError,
    InfeasiblePlanError,
    InvalidScenarioError,
    NetworkUnavailableError,
    NoSolutionError,
    PlanTransitionError,
    RoutingError,
    UnreachableLocationError,
)

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers deliberately, with its status, code and message."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra or {}


def not_found(kind: str, ident: object) -> ApiError:
    """The one 404 for "does not exist" and "not yours": the two must look the same."""
    return ApiError(404, "not_found", f"No {kind} with id '{ident}'.")


def issues_body(err: InvalidScenarioError) -> list[dict[str, Any]]:
    """Row-level issues (file, row, field, value, message) as JSON."""
    return [
        {
            "file": i.file,
            "row": i.row,
            "field": i.field,
            "value": i.value,
            "message": i.message,
        }
        for i in err.issues
    ]


def _body(code: str, message: str, request: Request, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return body


DOMAIN_ERRORS: tuple[tuple[type[RoutingError], int, str], ...] = (
    (InvalidScenarioError, 422, "invalid_scenario"),
    (UnreachableLocationError, 422, "unreachable_location"),
    (NoSolutionError, 422, "no_solution"),
    (InfeasiblePlanError, 422, "infeasible_plan"),
    (NetworkUnavailableError, 503, "network_unavailable"),
    (PlanTransitionError, 409, "invalid_transition"),
    (EditRefusedError, 422, "edit_refused"),
    (RoutingError, 422, "routing_error"),
)


def domain_error_status(err: RoutingError) -> tuple[int, str]:
    """Status and code of a domain error (most specific class first)."""
    for cls, status, code in DOMAIN_ERRORS:
        if isinstance(err, cls):
            return status, code
    return 422, "routing_error"


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        _body(exc.code, exc.message, request, **exc.extra),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _routing_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RoutingError)
    status, code = domain_error_status(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidScenarioError) and exc.issues:
        extra["issues"] = issues_body(exc)
    if isinstance(exc, EditRefusedError):
        extra["violations"] = [
            {
                "kind": str(getattr(v, "kind", "")),
                "run": str(getattr(v, "run", "")),
                "route_id": getattr(v, "route_id", ""),
                "pupil_id": getattr(v, "pupil_id", ""),
                "message": getattr(v, "message", ""),
            }
            for v in exc.violations
        ]
    message = str(exc).split("\n", 1)[0]
    return JSONResponse(_body(code, message, request, **extra), status_code=status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
    }.get(exc.status_code, "http_error")
    return JSONResponse(
        _body(code, str(exc.detail), request),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "message": "invalid request"}
    message = f"{'.'.join(first['loc'])}: {first['message']}"
    return JSONResponse(_body("invalid_request", message, request, errors=errors), status_code=422)


DATABASE_RETRY_AFTER_S = 5


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database did not answer (stopped, restarting, locked): 503, try again soon.

    The transaction rolled back with the connection, so nothing was half written.
    """
    logger.warning(
        "database unavailable in %s (request %s): %s",
        request.method,
        getattr(request.state, "request_id", "-"),
        type(exc).__name__,
    )
    return JSONResponse(
        _body("database_unavailable", "The database is not answering: try again shortly.", request),
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception(
        "unhandled error in %s %s (request %s)",
        request.method,
        request.url.path,
        getattr(request.state, "request_id", "-"),
    )
    return JSONResponse(
        _body("internal_error", "Something went wrong on our side.", request),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RoutingError, _routing_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # Connection-level failures only: a constraint or SQL error stays a 500.
    for kind in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(kind, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
