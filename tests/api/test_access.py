"""Access by role: deny by default, role matrix, schools see only their own, finance and
school responses carry no pupil data they must not see, and reads are audited."""

from __future__ import annotations

import logging
import re
from typing import Any

import jwt
import pytest
from api_support import PASSWORD, PUPILS, TEST_JWT_SECRET, World, upload_tiny
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.routing import Mount

from api.auth import Role
from api.main import PUBLIC_PATHS, RouteInfo, api_routes, undeclared_routes
from api.models import AuditRow, UserRow
from api.plan_store import add_plan
from api.scenario_store import load_scenario
from routing.model import Plan, Route, Run, Stop, StopKind

O, F, S = Role.OFFICER, Role.FINANCE, Role.SCHOOL  # noqa: E741
# Who may call what: the intended policy, so that widening a route fails a test.
EXPECTED_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/me"): frozenset({O, F, S}),
    ("POST", "/api/v1/scenarios"): frozenset({O}),
    ("POST", "/api/v1/scenarios/json"): frozenset({O}),
    ("GET", "/api/v1/scenarios"): frozenset({O, F}),
    ("GET", "/api/v1/scenarios/{scenario_id}"): frozenset({O, F}),
    ("GET", "/api/v1/scenarios/{scenario_id}/pupils"): frozenset({O}),
    ("DELETE", "/api/v1/scenarios/{scenario_id}"): frozenset({O}),
    ("POST", "/api/v1/scenarios/{scenario_id}/plans"): frozenset({O, F}),
    ("GET", "/api/v1/plans"): frozenset({O, F}),
    ("GET", "/api/v1/plans/{plan_id}"): frozenset({O, F}),
    ("GET", "/api/v1/plans/{plan_id}.csv"): frozenset({O}),
    ("GET", "/api/v1/plans/{plan_id}.geojson"): frozenset({O}),
    ("GET", "/api/v1/plans/{plan_id}/comparison"): frozenset({O, F}),
    ("POST", "/api/v1/plans/{plan_id}/approve"): frozenset({O}),
    ("POST", "/api/v1/plans/{plan_id}/publish"): frozenset({O}),
    ("POST", "/api/v1/plans/{plan_id}/edits"): frozenset({O}),
    ("GET", "/api/v1/plans/{plan_id}/changes"): frozenset({O}),
    ("POST", "/api/v1/plans/{plan_id}/replan"): frozenset({O}),
    ("GET", "/api/v1/jobs/{job_id}"): frozenset({O, F}),
    ("GET", "/api/v1/schools/{school_id}/pickups"): frozenset({O, S}),
    ("GET", "/api/v1/schools/{school_id}/plans"): frozenset({O, S}),
    ("GET", "/api/v1/audit"): frozenset({O}),
    ("GET", "/api/v1/scenarios/{scenario_id}/eligibility"): frozenset({O}),
    ("GET", "/api/v1/scenarios/{scenario_id}/eligibility/{pupil_id}/route"): frozenset({O}),
    ("POST", "/api/v1/scenarios/{scenario_id}/comparisons"): frozenset({O, F}),
    ("GET", "/api/v1/comparisons/{comparison_id}"): frozenset({O, F}),
    ("GET", "/api/v1/plans/{plan_id}/modes"): frozenset({O, F}),
    ("GET", "/api/v1/schools/{school_id}/pickups.csv"): frozenset({O, S}),
    ("GET", "/api/v1/schools/{school_id}/pickups.html"): frozenset({O, S}),
    ("GET", "/api/v1/plans/{plan_id}/routes/{route_id}/sheet"): frozenset({O}),
    ("GET", "/api/v1/plans/{plan_id}/route-table"): frozenset({O}),
    ("GET", "/api/v1/scenarios/{scenario_id}/basemap"): frozenset({O}),
    ("DELETE", "/api/v1/pupils/{scenario_id}/{pupil_id}"): frozenset({O}),
    ("GET", "/api/v1/pupils/{scenario_id}/{pupil_id}/record"): frozenset({O}),
}
ROLE_USER = {O: "officer", F: "finance", S: "school1"}


def operations(app: FastAPI) -> list[tuple[str, RouteInfo]]:
    return [(method, r) for r in api_routes(app.router.routes) for method in sorted(r.methods)]


def fill(path: str, world: World) -> str:
    """A URL for ``path`` with real ids of the world (school S1, its plan, pupil P001)."""
    url = (
        path.replace("{scenario_id}", str(world.scenario_id))
        .replace("{plan_id}", str(world.plan_id))
        .replace("{job_id}", world.job_id)
        .replace("{school_id}", "S1")
        .replace("{pupil_id}", "P001")
        .replace("{route_id}", world.route_id)
        .replace("{comparison_id}", str(world.comparison_id))
    )
    if path.endswith("/pickups"):
        return url + f"?plan={world.plan_id}"
    if path.endswith(("/pickups.csv", "/pickups.html")):
        return url + f"?plan={world.plan_id}&run=AM"
    return url


def test_every_route_except_public_ones_declares_its_roles(world: World) -> None:
    routes = operations(world.app)
    assert routes
    seen = {}
    for method, route in routes:
        roles = route.roles
        if route.path in PUBLIC_PATHS:
            assert roles is None, f"{route.path} is public but declares roles"
            continue
        assert roles is not None, f"{method} {route.path} declares no roles"
        seen[(method, route.path)] = roles
    assert seen == EXPECTED_ROLES
    # Whatever is not an API operation is the documentation or the static page.
    others = [r for r in world.app.router.routes if not hasattr(r, "original_router")]
    for r in others:
        assert isinstance(r, Mount) or r.path in PUBLIC_PATHS, r
        if isinstance(r, Mount):
            assert isinstance(r.app, StaticFiles)


def test_public_paths_are_only_health_ready_docs_and_token() -> None:
    assert {p for p in PUBLIC_PATHS if not p.startswith(("/docs", "/redoc", "/openapi"))} == {
        "/health",
        "/ready",
        "/api/v1/token",
        "/api/v1/token/revoke",
    }


def test_a_route_without_roles_is_found_and_the_app_refuses_it() -> None:
    router = APIRouter()

    @router.get("/api/v1/leak")
    def leak() -> dict[str, str]:
        return {}

    assert undeclared_routes(router.routes) == ["['GET'] /api/v1/leak"]


def test_every_protected_route_answers_401_without_credentials(world: World) -> None:
    for method, route in operations(world.app):
        if route.path in PUBLIC_PATHS:
            continue
        response = world.client.request(method, fill(route.path, world))
        assert response.status_code == 401, (method, route.path, response.text)
        assert response.json()["code"] == "not_authenticated"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", [F, S])
def test_roles_outside_a_routes_declaration_get_403(world: World, role: Role) -> None:
    headers = world.headers[ROLE_USER[role]]
    for (method, path), roles in EXPECTED_ROLES.items():
        if role in roles:
            continue
        response = world.client.request(method, fill(path, world), headers=headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-token"},  # garbage
        {
            "Authorization": "Bearer " + jwt.encode({"sub": "1", "exp": 1}, TEST_JWT_SECRET)
        },  # expired
        {
            "Authorization": "Bearer " + jwt.encode({"sub": "1", "exp": 2**40}, "other-key" * 5)
        },  # forged
        {"X-API-Key": "sr_000000000000_nope"},  # unknown key
    ],
)
def test_invalid_credentials_get_401(world: World, headers: dict[str, str]) -> None:
    response = world.client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(world: World) -> None:
    wrong = world.client.post("/api/v1/token", data={"username": "officer", "password": "x" * 12})
    unknown = world.client.post("/api/v1/token", data={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]


def test_disabled_user_token_stops_working(fresh: World) -> None:
    with fresh.factory() as session, session.begin():
        user = session.scalar(select(UserRow).where(UserRow.username == "finance"))
        assert user is not None
        user.is_active = False
    response = fresh.client.get("/api/v1/me", headers=fresh.headers["finance"])
    assert response.status_code == 401


# --------------------------------------------------------------------------- schools


def _same_404(a: Any, b: Any, id_a: str, id_b: str) -> None:
    assert a.status_code == b.status_code == 404
    body_a, body_b = a.json(), b.json()
    body_a.pop("request_id"), body_b.pop("request_id")
    assert body_a == {k: (v.replace(id_b, id_a) if isinstance(v, str) else v)
                      for k, v in body_b.items()}  # fmt: skip


def test_school_gets_404_for_another_schools_pickups_and_plans(world: World) -> None:
    headers = world.headers["school1"]
    for template in ("/api/v1/schools/{}/pickups?plan=" + str(world.plan_id),
                     "/api/v1/schools/{}/pickups.csv?run=AM&plan=" + str(world.plan_id),
                     "/api/v1/schools/{}/pickups.html?run=PM&plan=" + str(world.plan_id),
                     "/api/v1/schools/{}/plans"):  # fmt: skip
        other = world.client.get(template.format("S2"), headers=headers)
        missing = world.client.get(template.format("S999"), headers=headers)
        _same_404(other, missing, "S2", "S999")
        # The officer sees the other school, so the 404 is about the school user only.
        assert (
            world.client.get(template.format("S2"), headers=world.headers["officer"]).status_code
            == 200
        )


def test_school_gets_404_for_a_plan_without_its_pupils(
    fresh: World, tiny_files: dict[str, bytes]
) -> None:
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    with fresh.factory() as session, session.begin():
        loaded = load_scenario(session, scenario_id)
        assert loaded is not None
        _, scenario = loaded
        s2 = [p for p in scenario.pupils if p.school_id == "S2"][:1]
        school = scenario.school("S2")
        pid = s2[0].pupil_id
        stops = (
            Stop(StopKind.PICKUP, (pid,), "pupil:x", s2[0].lon, s2[0].lat, 30000, 30000, 30060),
            Stop(StopKind.DROPOFF, (pid,), "school:S2", school.lon, school.lat, 31000, 31000,
                 31030, "S2"),
        )  # fmt: skip
        route = Route("R1", Run.AM, "taxi", 4, 0, False, stops, 5000, 1030, 5000)
        plan = Plan("tiny", (route,), (), "test")
        row = add_plan(session, scenario_id=scenario_id, scenario=scenario, plan=plan,
                       comparison=None, runs=(Run.AM,), job_id=None)  # fmt: skip
        s2_plan = row.id
    headers = fresh.headers["school1"]
    for page in ("pickups?", "pickups.csv?run=AM&", "pickups.html?run=AM&"):
        url = f"/api/v1/schools/S1/{page}plan="
        foreign = fresh.client.get(f"{url}{s2_plan}", headers=headers)
        missing = fresh.client.get(f"{url}{s2_plan + 1000}", headers=headers)
        _same_404(foreign, missing, str(s2_plan), str(s2_plan + 1000))
    listed = fresh.client.get("/api/v1/schools/S1/plans", headers=headers).json()
    assert s2_plan not in {p["plan_id"] for p in listed}


def test_school_gets_403_on_other_id_routes_whether_or_not_the_id_exists(world: World) -> None:
    headers = world.headers["school1"]
    for path in ("/api/v1/plans/{}", "/api/v1/plans/{}/comparison", "/api/v1/scenarios/{}"):
        real = world.client.get(path.format(world.plan_id), headers=headers)
        fake = world.client.get(path.format(987654), headers=headers)
        assert real.status_code == fake.status_code == 403


# --------------------------------------------------------------------------- fields

# Keys a finance or school response must never carry.
FORBIDDEN_KEYS = {
    F: {"first_name", "last_name", "name_full", "postcode", "date_of_birth", "needs", "wheelchair",
        "needs_assistant", "travel_alone", "boarding_s", "max_ride_s", "steps", "stops", "lon",
        "lat", "pupils", "display_name", "sibling_group"},
    S: {"first_name", "last_name", "postcode", "date_of_birth", "needs", "wheelchair",
        "needs_assistant", "travel_alone", "boarding_s", "max_ride_s", "steps", "stops", "lon",
        "lat", "pupil_id", "pupil_ids", "sibling_group", "cost_pence", "day_cost_pence"},
}  # fmt: skip


def walk(value: Any, keys: set[str], strings: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            walk(v, keys, strings)
    elif isinstance(value, list):
        for v in value:
            walk(v, keys, strings)
    elif isinstance(value, str):
        strings.append(value)


def forbidden_strings(role: Role) -> list[str]:
    out = [p[3] for p in PUPILS] + [p[4] for p in PUPILS]  # last names, postcodes
    if role is F:
        out += [p[2] for p in PUPILS]  # finance sees no names at all
    return out


@pytest.mark.parametrize("role", [F, S])
def test_finance_and_school_responses_carry_no_forbidden_fields(world: World, role: Role) -> None:
    headers = world.headers[ROLE_USER[role]]
    checked = 0
    for (method, path), roles in EXPECTED_ROLES.items():
        if method != "GET" or role not in roles:
            continue
        url = fill(path, world)
        variants = [url] + ([url + "?format=json"] if path.endswith("{plan_id}") else [])
        for target in variants:
            response = world.client.get(target, headers=headers)
            assert response.status_code == 200, (target, response.text)
            if "json" in response.headers["content-type"]:
                keys: set[str] = set()
                strings: list[str] = []
                walk(response.json(), keys, strings)
                assert not keys & FORBIDDEN_KEYS[role], (target, keys & FORBIDDEN_KEYS[role])
            else:  # CSV and HTML exports: their column headers are the keys
                header = response.text.splitlines()[0].lower()
                for key in FORBIDDEN_KEYS[role] - {"pupils", "stops", "steps"}:
                    assert key not in header, (target, key)
            text = response.text
            for secret in forbidden_strings(role):
                assert secret not in text, (target, secret)
            checked += 1
    assert checked >= 5  # school: me, pickups (JSON, CSV, HTML), plans; finance: more


# --------------------------------------------------------------------------- audit

PUPIL_READS = [
    # url template, action
    ("/api/v1/plans/{plan}", "plan.read"),
    ("/api/v1/plans/{plan}.csv", "plan.export_csv"),
    ("/api/v1/plans/{plan}?format=geojson", "plan.export_geojson"),
    ("/api/v1/scenarios/{scenario}/pupils", "scenario.pupils"),
    ("/api/v1/schools/S1/pickups?plan={plan}", "school.pickups"),
    ("/api/v1/schools/S1/pickups.csv?plan={plan}&run=AM", "school.pickups_csv"),
    ("/api/v1/schools/S1/pickups.html?plan={plan}&run=PM", "school.pickups_html"),
    ("/api/v1/scenarios/{scenario}/eligibility", "scenario.eligibility"),
    ("/api/v1/scenarios/{scenario}/eligibility/P001/route", "scenario.eligibility_route"),
    ("/api/v1/plans/{plan}/routes/{route}/sheet", "plan.route_sheet"),
    ("/api/v1/pupils/{scenario}/P001/record", "pupil.subject_access"),
]


@pytest.mark.parametrize(("template", "action"), PUPIL_READS)
@pytest.mark.parametrize("user", ["officer", "school1"])
def test_every_read_of_pupil_data_writes_an_audit_row(
    world: World, template: str, action: str, user: str
) -> None:
    url = template.format(plan=world.plan_id, scenario=world.scenario_id, route=world.route_id)
    response = world.client.get(url, headers=world.headers[user])
    if response.status_code == 403:
        return  # this role cannot read it at all (covered by the role tests)
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    with world.factory() as session:
        rows = list(session.scalars(select(AuditRow).where(AuditRow.request_id == request_id)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.username, row.action) == (user, action)
    assert row.role == ("officer" if user == "officer" else "school")
    assert row.at is not None and row.resource
    for secret in forbidden_strings(F):
        assert secret not in str(row.detail)


def test_incoming_request_id_is_echoed_and_audited(world: World) -> None:
    response = world.client.get(
        f"/api/v1/plans/{world.plan_id}",
        headers={**world.headers["officer"], "X-Request-ID": "trace-123"},
    )
    assert response.headers["x-request-id"] == "trace-123"
    audit = world.client.get("/api/v1/audit?request_id=trace-123", headers=world.headers["officer"])
    assert [a["action"] for a in audit.json()] == ["plan.read"]


def test_logs_hold_no_pupil_data(
    fresh: World, tiny_files: dict[str, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    job = fresh.client.post(
        f"/api/v1/scenarios/{scenario_id}/plans",
        json={"time_limit_s": 1, "run": "AM"},
        headers=fresh.headers["officer"],
    ).json()
    assert fresh.worker().run_once()
    plan_id = fresh.client.get(
        f"/api/v1/jobs/{job['job_id']}", headers=fresh.headers["officer"]
    ).json()["plan_id"]
    fresh.client.get(f"/api/v1/plans/{plan_id}", headers=fresh.headers["officer"])
    fresh.client.get(f"/api/v1/scenarios/{scenario_id}/pupils", headers=fresh.headers["officer"])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the worker did log
    for secret in forbidden_strings(F):
        assert not re.search(re.escape(secret), logged), secret
