"""Liveness and readiness: public, no data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.errors import DATABASE_RETRY_AFTER_S
from api.migrate import is_at_head
from api.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
def health() -> HealthResponse:
    """The process is up (says nothing about the database)."""
    return HealthResponse(status="ok")


@router.get("/ready", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
def ready(request: Request) -> ReadyResponse | JSONResponse:
    """The database answers and its schema is the newest migration."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        at_head = is_at_head(engine)
    except Exception:  # readiness reports failure as 503, whatever the cause
        body = ReadyResponse(status="unavailable", database="unreachable", schema_at_head=False)
        return JSONResponse(
            body.model_dump(),
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )
    if not at_head:
        body = ReadyResponse(status="unavailable", database="ok", schema_at_head=False)
        return JSONResponse(body.model_dump(), status_code=503)
    return ReadyResponse(status="ok", database="ok", schema_at_head=True)
