"""An officer's edits over the API, on SQLite and PostgreSQL: lock, pin, move, reorder,
compare versions, re-plan. Each edit answers with the checker's verdict and the cost
change; a rule-breaking edit is refused naming the rule and the pupil, or kept as a
broken draft that cannot be approved; edits make new versions that schools do not see
until published; finance and schools cannot edit.

The tiny scenario with taxis and a small wheelchair-accessible vehicle only (no MPV, no
minibus; the WAV seats the wheelchair user P003 and one more), so the plan has a WAV
and taxis.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import World, publish_plan
from sqlalchemy import select

from api.models import AuditRow, PlanRow

API = "/api/v1"


def _files(tiny_files: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(tiny_files)
    lines = files["vehicle_types.csv"].decode().splitlines()
    kept = [ln for ln in lines if not ln.startswith(("mpv,", "minibus,", "wav,"))]
    kept.append("wav,wav,3,1,2,,140.00,1.90,180")  # the wheelchair user and one more
    files["vehicle_types.csv"] = ("\n".join(kept) + "\n").encode()
    return files


def _upload(w: World, files: dict[str, bytes]) -> int:
    response = w.client.post(
        f"{API}/scenarios",
        data={"name": "tiny"},
        files=[("files", (name, content, "text/csv")) for name, content in files.items()],
        headers=w.headers["officer"],
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _solved(w: World, files: dict[str, bytes]) -> tuple[int, int]:
    scenario_id = _upload(w, files)
    response = w.client.post(
        f"{API}/scenarios/{scenario_id}/plans",
        json={"run": "both", "time_limit_s": 1},
        headers=w.headers["officer"],
    )
    assert response.status_code == 202, response.text
    assert w.worker().run_once()
    job = w.client.get(f"{API}/jobs/{response.json()['job_id']}", headers=w.headers["officer"])
    assert job.json()["state"] == "succeeded", job.text
    return scenario_id, int(job.json()["plan_id"])


def _plan(w: World, plan_id: int) -> Any:
    response = w.client.get(f"{API}/plans/{plan_id}", headers=w.headers["officer"])
    assert response.status_code == 200, response.text
    return response.json()


def _routes(plan: Any, run: str = "AM") -> dict[str, tuple[str, list[str]]]:
    """Route id -> (vehicle type, pupils picked up) of one run."""
    return {
        r["route_id"]: (
            r["vehicle_type"],
            [p for s in r["steps"] if s["kind"] == "pickup" for p in s["pupil_ids"]],
        )
        for r in plan["routes"]
        if r["run"] == run
    }


def _edit(w: World, plan_id: int, user: str = "officer", **body: Any) -> Any:
    return w.client.post(f"{API}/plans/{plan_id}/edits", json=body, headers=w.headers[user])


def _actions(w: World) -> list[str]:
    with w.factory() as session:
        return [r.action for r in session.scalars(select(AuditRow)) if r.action.startswith("plan.")]


@pytest.fixture
def edited(fresh_any: World, tiny_files: dict[str, bytes]) -> tuple[World, int, Any]:
    _, plan_id = _solved(fresh_any, _files(tiny_files))
    return fresh_any, plan_id, _plan(fresh_any, plan_id)


def test_a_move_breaking_a_rule_is_refused_naming_it_or_kept_broken_and_unapprovable(
    edited: tuple[World, int, Any],
) -> None:
    w, plan_id, plan = edited
    routes = _routes(plan)
    taxi = next(rid for rid, (vt, _) in routes.items() if vt == "taxi")
    refused = _edit(w, plan_id, action="move", pupil_id="P003", run="AM", to_route_id=taxi)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "edit_refused"
    assert "P003" in body["message"] and " rule " in body["message"]
    kinds = {v["kind"] for v in body["violations"]}
    assert kinds & {"wheelchair", "vehicle_requirement", "load"}, kinds
    kept = _edit(w, plan_id, action="move", pupil_id="P003", run="AM", to_route_id=taxi, force=True)
    assert kept.status_code == 201, kept.text
    draft = kept.json()
    assert draft["is_broken"] and draft["violations"] and draft["version"] == 2
    assert draft["parent_plan_id"] == plan_id and draft["status"] == "draft"
    assert isinstance(draft["cost_change_pence"], int)
    assert "P003" in _routes(_plan(w, draft["plan_id"]))[taxi][1]
    approve = w.client.post(f"{API}/plans/{draft['plan_id']}/approve", headers=w.headers["officer"])
    assert approve.status_code == 409 and "breaks" in approve.json()["message"]
    changes = w.client.get(
        f"{API}/plans/{draft['plan_id']}/changes", headers=w.headers["officer"]
    ).json()
    assert changes["since_plan_id"] == plan_id
    assert {(c["pupil_id"], c["change"]) for c in changes["changes"]} >= {("P003", "vehicle")}
    assert changes["cost_change_pence"] == draft["cost_change_pence"]
    assert "plan.edit" in _actions(w)


def test_a_rule_keeping_edit_is_a_new_draft_version_schools_cannot_see(
    edited: tuple[World, int, Any],
) -> None:
    w, plan_id, plan = edited
    publish_plan(w.client, w.headers["officer"], plan_id)
    wav, (_, pupils) = next((rid, v) for rid, v in _routes(plan).items() if v[0] == "wav")
    same = _edit(w, plan_id, action="reorder", route_id=wav, order=pupils)
    assert same.status_code == 201, same.text
    version = same.json()
    assert not version["is_broken"] and version["violations"] == []
    assert version["cost_change_pence"] == 0 and version["changed_route_ids"] == [wav]
    headers = w.headers["school1"]
    seen = w.client.get(f"{API}/schools/S1/pickups?plan={version['plan_id']}", headers=headers)
    assert seen.status_code == 404
    assert (
        w.client.get(f"{API}/schools/S1/pickups?plan={plan_id}", headers=headers).status_code == 200
    )
    pinned = _edit(w, plan_id, action="pin", pupil_id=pupils[0], run="AM", route_id=wav)
    assert pinned.status_code == 201, pinned.text
    assert pinned.json()["locks"]["pins"] == [{"pupil_id": pupils[0], "run": "AM", "route_id": wav}]


def test_a_locked_route_is_kept_by_edits_and_shown_on_the_plan(
    edited: tuple[World, int, Any],
) -> None:
    w, plan_id, plan = edited
    routes = _routes(plan)
    taxi = next(rid for rid, (vt, _) in routes.items() if vt == "taxi")
    locked = _edit(w, plan_id, action="lock", route_id=taxi)
    assert locked.status_code == 201, locked.text
    assert locked.json()["plan_id"] == plan_id and locked.json()["locks"]["locked_route_ids"] == [
        taxi
    ]
    assert _plan(w, plan_id)["locked_route_ids"] == [taxi]
    # The lock is checked before any rule: P003 (on the WAV) cannot even be tried there.
    move = _edit(w, plan_id, action="move", pupil_id="P003", run="AM", to_route_id=taxi)
    assert move.status_code == 422 and f"Route {taxi} is locked" in move.json()["message"]
    unlocked = _edit(w, plan_id, action="unlock", route_id=taxi)
    assert unlocked.json()["locks"]["locked_route_ids"] == []
    assert {"plan.lock", "plan.unlock"} <= set(_actions(w))


def test_finance_and_schools_cannot_edit_compare_or_replan(
    edited: tuple[World, int, Any],
) -> None:
    w, plan_id, plan = edited
    route_id = plan["routes"][0]["route_id"]
    for user in ("finance", "school1"):
        assert _edit(w, plan_id, user, action="lock", route_id=route_id).status_code == 403
        headers = w.headers[user]
        assert (
            w.client.get(
                f"{API}/plans/{plan_id}/changes?since={plan_id}", headers=headers
            ).status_code
            == 403
        )
        replan = w.client.post(
            f"{API}/plans/{plan_id}/replan", json={"scenario_id": 1}, headers=headers
        )
        assert replan.status_code == 403
    assert _plan(w, plan_id)["locked_route_ids"] == []


def test_a_replan_of_the_same_pupils_keeps_every_vehicle_and_time(
    edited: tuple[World, int, Any], tiny_files: dict[str, bytes]
) -> None:
    w, plan_id, plan = edited
    taxi = next(rid for rid, (vt, _) in _routes(plan).items() if vt == "taxi")
    assert _edit(w, plan_id, action="lock", route_id=taxi).status_code == 201
    again = _upload(w, _files(tiny_files))
    response = w.client.post(
        f"{API}/plans/{plan_id}/replan",
        json={"scenario_id": again, "time_limit_s": 1},
        headers=w.headers["officer"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["scenario_id"] == again and body["version"] == 2
    assert body["changes"]["num_upset"] == 0 and body["changes"]["changes"] == []
    new = _plan(w, body["plan_id"])
    assert new["status"] == "draft" and new["locked_route_ids"] == [taxi]
    assert _routes(new) == _routes(plan)
    assert "plan.replan" in _actions(w)


def test_erasing_a_pupil_removes_them_from_edits_violations_notes_and_pins(
    edited: tuple[World, int, Any],
) -> None:
    w, plan_id, plan = edited
    routes = _routes(plan)
    taxi = next(rid for rid, (vt, _) in routes.items() if vt == "taxi")
    wav = next(rid for rid, (vt, _) in routes.items() if vt == "wav")
    kept = _edit(
        w, plan_id, action="move", pupil_id="P003", run="AM", to_route_id=taxi, force=True
    ).json()
    assert (
        _edit(w, plan_id, action="pin", pupil_id="P003", run="AM", route_id=wav).status_code == 201
    )
    scenario_id = _plan(w, plan_id)["scenario_id"]
    erased = w.client.delete(f"{API}/pupils/{scenario_id}/P003", headers=w.headers["officer"])
    assert erased.status_code in (200, 204), erased.text
    with w.factory() as session:
        for row in session.scalars(select(PlanRow)):
            text = repr((row.violations, row.edit_note, row.locks))
            assert "P003" not in text, (row.id, text)
    assert kept["is_broken"]
