"""The plan lifecycle over the API, on SQLite and PostgreSQL: draft -> approved (who, when)
-> published -> superseded; schools see a plan's times only once it is published; every
step audited; every refused move a 409 that says why."""

from __future__ import annotations

from typing import Any

from api_support import World, upload_tiny
from sqlalchemy import select

from api.models import AuditRow
from api.plan_store import add_plan
from api.scenario_store import load_scenario
from routing.model import Plan, Route, Run, Stop, StopKind

API = "/api/v1"


def _plan(world: World, scenario_id: int, pickup_s: int) -> int:
    """A one-route plan carrying one pupil of school S1 (written as the worker would)."""
    with world.factory() as session, session.begin():
        loaded = load_scenario(session, scenario_id)
        assert loaded is not None
        _, scenario = loaded
        pupil = next(p for p in scenario.pupils if p.school_id == "S1")
        school = scenario.school("S1")
        stops = (
            Stop(StopKind.PICKUP, (pupil.pupil_id,), "pupil:x", pupil.lon, pupil.lat,
                 pickup_s, pickup_s, pickup_s + 60),
            Stop(StopKind.DROPOFF, (pupil.pupil_id,), "school:S1", school.lon, school.lat,
                 31000, 31000, 31030, "S1"),
        )  # fmt: skip
        route = Route("R1", Run.AM, "taxi", 4, 0, False, stops, 5000, 1030, 5000)
        row = add_plan(session, scenario_id=scenario_id, scenario=scenario,
                       plan=Plan("tiny", (route,), (), "test"), comparison=None,
                       runs=(Run.AM,), job_id=None)  # fmt: skip
        return row.id


def _step(world: World, plan_id: int, step: str, user: str = "officer") -> Any:
    return world.client.post(f"{API}/plans/{plan_id}/{step}", headers=world.headers[user])


SCHOOL_READS = ("pickups?", "pickups.csv?run=AM&", "pickups.html?run=AM&")


def _school_sees(world: World, plan_id: int) -> list[str]:
    """The pickup times school1 gets for the plan ([] for a 404 like a missing plan's)."""
    headers = world.headers["school1"]
    for page in SCHOOL_READS:
        got = world.client.get(f"{API}/schools/S1/{page}plan={plan_id}", headers=headers)
        missing = world.client.get(f"{API}/schools/S1/{page}plan=987654", headers=headers)
        if got.status_code == 404:
            body, other = got.json(), missing.json()
            body.pop("request_id"), other.pop("request_id")
            assert body["message"] == other["message"].replace("987654", str(plan_id))
            assert body["code"] == other["code"]
            listed = world.client.get(f"{API}/schools/S1/plans", headers=headers).json()
            assert plan_id not in {p["plan_id"] for p in listed}
            return []
        assert got.status_code == 200, got.text
    listed = world.client.get(f"{API}/schools/S1/plans", headers=headers).json()
    assert plan_id in {p["plan_id"] for p in listed}
    pickups = world.client.get(f"{API}/schools/S1/pickups?plan={plan_id}", headers=headers)
    return [p["pickup"] for p in pickups.json()["pupils"]]


def _audit(world: World, action: str) -> list[str]:
    with world.factory() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action == action))
        return [f"{r.username}:{r.resource}" for r in rows]


def test_a_plan_reaches_schools_only_once_approved_and_published(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    w = fresh_any
    scenario_id = upload_tiny(w.client, w.headers["officer"], tiny_files)
    plan_id = _plan(w, scenario_id, 29000)
    read = w.client.get(f"{API}/plans/{plan_id}", headers=w.headers["officer"]).json()
    assert (read["status"], read["approved_by"], read["approved_at"]) == ("draft", None, None)
    assert _school_sees(w, plan_id) == []  # a draft: no times, the 404 of a missing plan
    # The officer previews the draft's pickup list; only schools wait for publication.
    officer_view = w.client.get(
        f"{API}/schools/S1/pickups?plan={plan_id}", headers=w.headers["officer"]
    )
    assert officer_view.status_code == 200

    approved = _step(w, plan_id, "approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["approved_by"]) == ("approved", "officer")
    assert body["approved_at"] is not None and body["published_at"] is None
    assert _school_sees(w, plan_id) == []  # approved is not yet published

    published = _step(w, plan_id, "publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert published.json()["superseded"] == []
    assert _school_sees(w, plan_id) == ["08:03"]  # 29000 s after midnight
    finance = w.client.get(f"{API}/plans/{plan_id}", headers=w.headers["finance"]).json()
    assert (finance["status"], finance["approved_by"]) == ("published", "officer")
    listed = w.client.get(f"{API}/plans", headers=w.headers["officer"]).json()
    assert {p["id"]: p["status"] for p in listed} == {plan_id: "published"}
    assert _audit(w, "plan.approve") == [f"officer:plan:{plan_id}"]
    assert _audit(w, "plan.publish") == [f"officer:plan:{plan_id}"]


def test_publishing_supersedes_the_scenarios_published_plan_never_silently(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    w = fresh_any
    scenario_id = upload_tiny(w.client, w.headers["officer"], tiny_files)
    first = _plan(w, scenario_id, 29000)
    other_scenario = upload_tiny(w.client, w.headers["officer"], tiny_files)
    elsewhere = _plan(w, other_scenario, 29300)
    for plan_id in (first, elsewhere):
        assert _step(w, plan_id, "approve").status_code == 200
        assert _step(w, plan_id, "publish").status_code == 200
    # A newer plan of the scenario, even approved, leaves the published one in place.
    second = _plan(w, scenario_id, 29600)
    assert _school_sees(w, first) == ["08:03"]
    assert _school_sees(w, second) == []
    assert _step(w, second, "approve").status_code == 200
    assert _school_sees(w, first) == ["08:03"]

    published = _step(w, second, "publish")
    assert published.status_code == 200, published.text
    assert published.json()["superseded"] == [first]
    old = w.client.get(f"{API}/plans/{first}", headers=w.headers["officer"]).json()
    assert old["status"] == "superseded" and old["superseded_at"] is not None
    assert _school_sees(w, first) == []
    assert _school_sees(w, second) == ["08:13"]
    # Another scenario's published plan is not touched.
    assert _school_sees(w, elsewhere) == ["08:08"]
    assert _audit(w, "plan.supersede") == [f"officer:plan:{first}"]


def test_refused_moves_are_409_with_the_reason_and_change_nothing(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    w = fresh_any
    scenario_id = upload_tiny(w.client, w.headers["officer"], tiny_files)
    plan_id = _plan(w, scenario_id, 29000)

    def refused(step: str, status: str, why: str) -> None:
        response = _step(w, plan_id, step)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["code"] == "invalid_transition"
        target = {"approve": "approved", "publish": "published"}[step]
        assert body["message"] == f"Plan {plan_id} is {status} and cannot become {target}: {why}."
        read = w.client.get(f"{API}/plans/{plan_id}", headers=w.headers["officer"]).json()
        assert read["status"] == status

    refused("publish", "draft", "approve it first")
    assert _step(w, plan_id, "approve").status_code == 200
    refused("approve", "approved", "it is already approved")
    assert _step(w, plan_id, "publish").status_code == 200
    refused("approve", "published", "it is already published")
    refused("publish", "published", "it is already published")
    newer = _plan(w, scenario_id, 29600)
    assert _step(w, newer, "approve").status_code == 200
    assert _step(w, newer, "publish").status_code == 200
    for step in ("approve", "publish"):
        refused(step, "superseded", "a superseded plan stays superseded; make a new plan")
    assert _audit(w, "plan.approve") == [f"officer:plan:{plan_id}", f"officer:plan:{newer}"]
    missing = _step(w, 987654, "approve")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_finance_and_schools_cannot_approve_or_publish(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    w = fresh_any
    scenario_id = upload_tiny(w.client, w.headers["officer"], tiny_files)
    plan_id = _plan(w, scenario_id, 29000)
    for user in ("finance", "school1"):
        for step in ("approve", "publish"):
            assert _step(w, plan_id, step, user).status_code == 403
    assert _step(w, plan_id, "approve").status_code == 200
    for user in ("finance", "school1"):
        assert _step(w, plan_id, "publish", user).status_code == 403
    read = w.client.get(f"{API}/plans/{plan_id}", headers=w.headers["officer"]).json()
    assert read["status"] == "approved"
    assert _audit(w, "plan.publish") == []
