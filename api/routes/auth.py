"""Sign-in (OAuth2 password and refresh-token grants), revocation, and who-am-I.

Failed sign-ins are limited per account name and per client address (``api.sign_in_limits``):
past the limit every attempt gets 429 with Retry-After, and the moment an account or
address reaches it is audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

import jwt
from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from api import audit, sign_in_sessions
from api.auth import authenticate_password, create_access_token, decode_access_token, token_rules
from api.deps import AnyRole, SessionDep, SettingsDep
from api.errors import ApiError
from api.models import SignInSessionRow, UserRow
from api.schemas import ErrorResponse, MeResponse, RevokeResponse, TokenResponse
from api.sign_in_limits import SignInLimit, record_failure, retry_after_s

router = APIRouter(prefix="/api/v1", tags=["auth"])

TOKEN_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    429: {"model": ErrorResponse},
}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _tokens(
    request: Request, user: UserRow, sign_in: SignInSessionRow, refresh: str
) -> TokenResponse:
    rules = token_rules(request)
    return TokenResponse(
        access_token=create_access_token(user, sign_in.id, rules, request.app.state.clock()),
        expires_in_s=rules.ttl_s,
        role=user.role,
        refresh_token=refresh,
        refresh_expires_at=sign_in.expires_at,
    )


def _invalid(message: str) -> ApiError:
    return ApiError(401, "invalid_credentials", message, headers={"WWW-Authenticate": "Bearer"})


def _password_grant(
    request: Request, session: Session, username: str, password: str, limit: SignInLimit
) -> tuple[UserRow, SignInSessionRow, str]:
    now = request.app.state.clock()
    address = _client_address(request)
    wait = retry_after_s(session, username, address, now, limit)
    if wait is not None:
        msg = f"Too many failed sign-ins for this account or address: try again in {wait} s."
        raise ApiError(429, "too_many_sign_ins", msg, headers={"Retry-After": str(wait)})
    user = authenticate_password(session, username, password)
    if user is None:
        record_failure(session, username, address, now)
        if retry_after_s(session, username, address, now, limit) is not None:
            audit.append(
                session,
                user_id=None,
                username=username[:150],
                role="anonymous",
                action="auth.sign_in_limited",
                resource=f"user:{username[:100]}",
                request_id=getattr(request.state, "request_id", ""),
                detail={"client_address": address, "window_s": limit.window_s},
            )
        session.commit()
        raise _invalid("Unknown username or wrong password.")
    sign_in, refresh = sign_in_sessions.open_session(
        session, user.id, now, request.app.state.settings.refresh_token_ttl_s
    )
    return user, sign_in, refresh


@router.post("/token", response_model=TokenResponse, responses=TOKEN_ERRORS)
def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()] = "password",
    username: Annotated[str, Form(max_length=150)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    refresh_token: Annotated[str, Form(max_length=200)] = "",
) -> TokenResponse:
    """Exchange a username and password, or a refresh token, for a short-lived access
    token and a new refresh token."""
    if grant_type == "refresh_token":
        rotated = sign_in_sessions.rotate(session, refresh_token, request.app.state.clock())
        user = session.get(UserRow, rotated[0].user_id) if rotated else None
        session.commit()
        if rotated is None or user is None or not user.is_active:
            raise _invalid("The refresh token is not valid, was revoked or has expired.")
        return _tokens(request, user, *rotated)
    limit = SignInLimit(settings.sign_in_max_failures, settings.sign_in_window_s)
    user, sign_in, refresh = _password_grant(request, session, username, password, limit)
    session.commit()
    return _tokens(request, user, sign_in, refresh)


@router.post("/token/revoke", response_model=RevokeResponse)
def revoke_token(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=2048)],
) -> RevokeResponse:
    """End a sign-in: give its refresh token, or an access token of it (RFC 7009: the
    answer is 200 whether or not the token was valid)."""
    now = request.app.state.clock()
    revoked = sign_in_sessions.revoke_by_refresh_token(session, token, now)
    if not revoked:
        try:
            claims = decode_access_token(token, token_rules(request))
        except jwt.PyJWTError:
            claims = {}
        if claims:
            revoked = sign_in_sessions.revoke_session(session, str(claims["sid"]), now)
    session.commit()
    return RevokeResponse()


@router.get("/me", response_model=MeResponse)
def me(user: AnyRole) -> MeResponse:
    """Who the token or key belongs to, their role and (for schools) their schools."""
    return MeResponse(
        username=user.username,
        role=user.role.value,
        school_ids=sorted(user.school_ids),
        via=user.via,
    )
