"""Sign-in limits, short-lived access tokens, refresh tokens with revocation, and the
bad tokens the service refuses (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from api_support import PASSWORD, TEST_JWT_SECRET, World
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.config import Settings
from api.models import AuditRow, utc_now
from api.users import create_api_key, disable_user


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/token", data={"username": username, "password": password})


def refresh(client: TestClient, refresh_token: str) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return client.post("/api/v1/token", data=data)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(headers: dict[str, str]) -> dict[str, Any]:
    token = headers["Authorization"].split(" ", 1)[1]
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def remint(headers: dict[str, str], key: str | None = TEST_JWT_SECRET, algorithm: str = "HS256",
           **changes: Any) -> dict[str, str]:  # fmt: skip
    """The same token with some claims changed (None removes one), signed again."""
    claims = claims_of(headers)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return bearer(jwt.encode(claims, key, algorithm=algorithm))


class Clock:
    """An injected clock: the real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> Any:
        return utc_now() + self.offset


# --------------------------------------------------------------------------- bad tokens

NOW = int(time.time())


def _disabled(w: World) -> dict[str, str]:
    disable_user("finance", session_factory=w.factory)
    return w.headers["finance"]


def _revoked(w: World) -> dict[str, str]:
    login = sign_in(w.client, "finance").json()
    w.client.post("/api/v1/token/revoke", data={"token": login["refresh_token"]})
    return bearer(login["access_token"])


# kind -> (headers for GET url, url, expected status)
BAD_TOKENS: dict[str, tuple[Callable[[World], dict[str, str]], str, int]] = {
    "missing": (lambda w: {}, "/api/v1/me", 401),
    "malformed": (lambda w: bearer("abc.def"), "/api/v1/me", 401),
    "not a JWT at all": (lambda w: bearer("x" * 40), "/api/v1/me", 401),
    "expired": (lambda w: remint(w.headers["finance"], exp=NOW - 60), "/api/v1/me", 401),
    "not yet valid": (lambda w: remint(w.headers["finance"], nbf=NOW + 3600), "/api/v1/me", 401),
    "bad signature": (lambda w: remint(w.headers["finance"], key="k" * 48), "/api/v1/me", 401),
    "alg=none": (
        lambda w: remint(w.headers["finance"], key=None, algorithm="none"),
        "/api/v1/me",
        401,
    ),
    "HS384 instead of HS256": (
        lambda w: remint(w.headers["finance"], algorithm="HS384"),
        "/api/v1/me",
        401,
    ),
    "wrong issuer": (lambda w: remint(w.headers["finance"], iss="evil"), "/api/v1/me", 401),
    "wrong audience": (lambda w: remint(w.headers["finance"], aud="other"), "/api/v1/me", 401),
    "no session id": (lambda w: remint(w.headers["finance"], sid=None), "/api/v1/me", 401),
    "unknown session id": (lambda w: remint(w.headers["finance"], sid="nope"), "/api/v1/me", 401),
    "unknown user": (lambda w: remint(w.headers["finance"], sub="999999"), "/api/v1/me", 401),
    "another user's session": (
        lambda w: remint(w.headers["finance"], sid=claims_of(w.headers["officer"])["sid"]),
        "/api/v1/me",
        401,
    ),
    "disabled user": (_disabled, "/api/v1/me", 401),
    "revoked": (_revoked, "/api/v1/me", 401),
    "role claim raised": (
        lambda w: remint(w.headers["finance"], role="officer"),
        "/api/v1/audit",
        401,
    ),
    "wrong-school claim": (
        lambda w: remint(w.headers["school1"], schools=["S1", "S2"]),
        "/api/v1/schools/S2/plans",
        401,
    ),
    "refresh token as access token": (
        lambda w: bearer(sign_in(w.client, "finance").json()["refresh_token"]),
        "/api/v1/me",
        401,
    ),
    "finance token on an officer route": (lambda w: w.headers["finance"], "/api/v1/audit", 403),
    "school token with another school's id": (
        lambda w: w.headers["school1"],
        "/api/v1/schools/S2/plans",
        404,
    ),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_refused(fresh_any: World, kind: str) -> None:
    make_headers, url, status = BAD_TOKENS[kind]
    # the same call with the good token works, so the refusal is the token's
    assert (
        fresh_any.client.get("/api/v1/me", headers=fresh_any.headers["finance"]).status_code == 200
    )
    response = fresh_any.client.get(url, headers=make_headers(fresh_any))
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_access_tokens_are_short_lived_by_default(fresh: World) -> None:
    assert Settings().access_token_ttl_s <= 15 * 60
    claims = claims_of(fresh.headers["officer"])
    assert claims["exp"] - claims["iat"] == fresh.settings.access_token_ttl_s
    assert {"iss", "aud", "nbf", "sid", "role", "schools"} <= set(claims)


# --------------------------------------------------------------------------- sign-in limits


def test_five_failures_for_an_account_then_429_with_retry_after_and_an_audit_row(
    fresh_any: World,
) -> None:
    clock = Clock()
    fresh_any.app.state.clock = clock
    for _ in range(5):
        assert sign_in(fresh_any.client, "officer", "wrong password!").status_code == 401
    # the right password is refused too while the limit holds, and from another address
    other = TestClient(fresh_any.app, client=("203.0.113.7", 4000))
    for client in (fresh_any.client, other):
        limited = sign_in(client, "officer")
        assert limited.status_code == 429, limited.text
        assert limited.json()["code"] == "too_many_sign_ins"
        assert 890 <= int(limited.headers["retry-after"]) <= 900
    # other accounts from another address are not affected
    assert sign_in(other, "finance").status_code == 200
    with fresh_any.factory() as session:
        rows = list(
            session.scalars(select(AuditRow).where(AuditRow.action == "auth.sign_in_limited"))
        )
    assert len(rows) == 1
    assert rows[0].username == "officer"
    assert PASSWORD not in str(rows[0].detail)
    # the window slides: 15 minutes later the account may try again
    clock.offset = timedelta(seconds=901)
    assert sign_in(fresh_any.client, "officer").status_code == 200


def test_five_failures_from_one_address_then_429_for_any_account(fresh_any: World) -> None:
    for name in ("a1", "a2", "a3", "a4", "finance"):
        assert sign_in(fresh_any.client, name, "wrong password!").status_code == 401
    limited = sign_in(fresh_any.client, "officer")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    other = TestClient(fresh_any.app, client=("198.51.100.9", 4000))
    assert sign_in(other, "officer").status_code == 200


def test_four_failures_still_let_the_right_password_in(fresh: World) -> None:
    for _ in range(4):
        assert sign_in(fresh.client, "officer", "wrong password!").status_code == 401
    assert sign_in(fresh.client, "officer").status_code == 200


# --------------------------------------------------------------------------- refresh + revoke


def test_a_refresh_token_gets_a_new_pair_once(fresh_any: World) -> None:
    first = sign_in(fresh_any.client, "officer").json()
    second = refresh(fresh_any.client, first["refresh_token"])
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert (
        fresh_any.client.get("/api/v1/me", headers=bearer(pair["access_token"])).status_code == 200
    )
    # Reusing the swapped token fails and ends the sign-in (it may have been stolen).
    reuse = refresh(fresh_any.client, first["refresh_token"])
    assert reuse.status_code == 401
    assert (
        fresh_any.client.get("/api/v1/me", headers=bearer(pair["access_token"])).status_code == 401
    )


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoke_ends_the_sign_in_and_its_tokens(fresh_any: World, which: str) -> None:
    login = sign_in(fresh_any.client, "officer").json()
    other = sign_in(fresh_any.client, "officer").json()  # a second sign-in stays
    response = fresh_any.client.post("/api/v1/token/revoke", data={"token": login[which]})
    assert response.status_code == 200
    assert (
        fresh_any.client.get("/api/v1/me", headers=bearer(login["access_token"])).status_code == 401
    )
    again = refresh(fresh_any.client, login["refresh_token"])
    assert again.status_code == 401
    assert (
        fresh_any.client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 200
    )
    # an unknown token is answered 200 too (RFC 7009), and changes nothing
    assert fresh_any.client.post("/api/v1/token/revoke", data={"token": "x.y"}).status_code == 200


def test_disabling_a_user_revokes_everything_at_once(fresh_any: World) -> None:
    logins = [sign_in(fresh_any.client, "finance").json() for _ in range(2)]
    key = create_api_key("finance", session_factory=fresh_any.factory)
    assert fresh_any.client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    assert disable_user("finance", session_factory=fresh_any.factory) == 4  # 3 sign-ins + 1 key
    # re-enabling the account does not bring the old tokens back
    from api.models import UserRow

    with fresh_any.factory() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.username == "finance"))
        assert user is not None
        user.is_active = True
    for login in logins:
        assert (
            fresh_any.client.get("/api/v1/me", headers=bearer(login["access_token"])).status_code
            == 401
        )
        again = refresh(fresh_any.client, login["refresh_token"])
        assert again.status_code == 401
    assert fresh_any.client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401
    assert (
        fresh_any.client.get("/api/v1/me", headers=fresh_any.headers["finance"]).status_code == 401
    )


def test_a_sign_in_ends_after_the_refresh_lifetime(fresh: World) -> None:
    clock = Clock()
    fresh.app.state.clock = clock
    login = sign_in(fresh.client, "officer").json()
    clock.offset = timedelta(seconds=fresh.settings.refresh_token_ttl_s + 1)
    again = refresh(fresh.client, login["refresh_token"])
    assert again.status_code == 401
    assert fresh.client.get("/api/v1/me", headers=bearer(login["access_token"])).status_code == 401
