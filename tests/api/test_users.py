"""Users and API keys from the command line (`schoolrun users add` calls add_user)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_support import PASSWORD, World, token_headers
from sqlalchemy import update

from api.config import get_settings
from api.models import ApiKeyRow
from api.users import add_user, create_api_key, main


def test_add_user_generates_a_password_that_signs_in(fresh: World) -> None:
    password = add_user("clerk", "finance", session_factory=fresh.factory)
    assert len(password) >= 12
    headers = token_headers(fresh.client, "clerk", password)
    assert fresh.client.get("/api/v1/me", headers=headers).json()["role"] == "finance"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"role": "admin"}, "role must be one of"),  # unknown role
        ({"role": "school"}, "needs at least one school"),  # school without schools
        ({"role": "finance", "school_ids": ["S1"]}, "Only school users"),  # schools on finance
        ({"role": "officer", "password": "short"}, "at least 12"),  # short password
        ({"role": "officer", "username": "officer"}, "already exists"),  # taken name
    ],
)
def test_add_user_refuses_bad_input_with_a_clear_message(
    fresh: World, kwargs: dict[str, object], words: str
) -> None:
    username = str(kwargs.pop("username", "newbie"))
    with pytest.raises(ValueError, match=words):
        add_user(username, session_factory=fresh.factory, **kwargs)  # type: ignore[arg-type]


def test_revoked_api_key_stops_working(fresh: World) -> None:
    key = create_api_key("finance", "reporting", session_factory=fresh.factory)
    assert fresh.client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    with fresh.factory() as session, session.begin():
        session.execute(update(ApiKeyRow).values(revoked_at=datetime.now(UTC)))
    assert fresh.client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401


def test_users_command_creates_a_school_user(
    fresh: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCHOOLRUN_DATABASE_URL", fresh.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["add", "head-s1", "--role", "school", "--school", "S1"]) == 0
        assert main(["add", "head-s1", "--role", "school", "--school", "S1"]) == 2
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    password = out.out.split("password: ")[1].split()[0]
    headers = token_headers(fresh.client, "head-s1", password)
    me = fresh.client.get("/api/v1/me", headers=headers).json()
    assert me["school_ids"] == ["S1"]
    assert "already exists" in out.err
    assert PASSWORD not in out.out
