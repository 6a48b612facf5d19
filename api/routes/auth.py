"""Sign-in (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import authenticate_password, create_access_token
from api.deps import AnyRole, SessionDep, SettingsDep
from api.errors import ApiError
from api.schemas import ErrorResponse, MeResponse, TokenResponse

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses={401: {"model": ErrorResponse}})
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Exchange a username and password for a signed access token."""
    user = authenticate_password(session, form.username, form.password)
    if user is None:
        raise ApiError(
            401,
            "invalid_credentials",
            "Unknown username or wrong password.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = create_access_token(
        user, request.app.state.jwt_secret, settings.jwt_algorithm, settings.access_token_ttl_s
    )
    return TokenResponse(
        access_token=token, expires_in_s=settings.access_token_ttl_s, role=user.role
    )


@router.get("/me", response_model=MeResponse)
def me(user: AnyRole) -> MeResponse:
    """Who the token or key belongs to, their role and (for schools) their schools."""
    return MeResponse(
        username=user.username,
        role=user.role.value,
        school_ids=sorted(user.school_ids),
        via=user.via,
    )
