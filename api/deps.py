"""Annotated dependencies handlers declare: settings, a session, and who may call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Allow, Principal, Role
from api.config import Settings


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request; the handler commits what it writes."""
    with request.app.state.session_factory() as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for reads only (on SQLite it does not take the write lock)."""
    with request.app.state.read_session_factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]

# Who may call: every non-public route takes exactly one of these (see api.main).
Officer = Annotated[Principal, Depends(Allow(Role.OFFICER))]
OfficerOrFinance = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.FINANCE))]
OfficerOrSchool = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.SCHOOL))]
AnyRole = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.FINANCE, Role.SCHOOL))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retrying with the same key returns the same job",
    ),
]
"""The optional ``Idempotency-Key`` header of job submissions (plans, comparisons)."""
