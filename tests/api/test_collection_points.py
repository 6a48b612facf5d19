"""Collection points through the API: the scenario keeps its points and who may use one,
the plan says who walks where and how far (officer), the school's list says where each
pupil is picked up, and erasing a pupil removes their walk."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from api_support import World, publish_plan, tiny_scenario

from api.plan_store import add_plan
from api.scenario_store import add_scenario, load_scenario
from routing.model import CollectionPoint, CollectionWalk, Plan, Route, Run, Stop, StopKind

API = "/api/v1"
POINT = CollectionPoint("CP1", "Outside the library", 0.195, 51.561)


def _plan_with_walks(fresh: World) -> tuple[int, int]:
    """The tiny scenario with a collection point; P001 and P002 walk to it and board there
    in one stop of a hand-made AM route to S1."""
    base = tiny_scenario()
    pupils = tuple(
        replace(p, can_use_collection_point=p.pupil_id in ("P001", "P002")) for p in base.pupils
    )
    scenario = replace(base, pupils=pupils, collection_points=(POINT,))
    walks = (CollectionWalk("P001", "CP1", 420), CollectionWalk("P002", "CP1", 610))
    school = scenario.school("S1")
    stops = (
        Stop(StopKind.PICKUP, ("P001", "P002"), "point:CP1", POINT.lon, POINT.lat,
             29000, 29000, 29120),
        Stop(StopKind.DROPOFF, ("P001", "P002"), "school:S1", school.lon, school.lat,
             31000, 31000, 31060, "S1"),
    )  # fmt: skip
    route = Route("AM-001", Run.AM, "@minibus", 8, 1, True, stops, 9000, 2060, 9000)
    with fresh.factory() as session, session.begin():
        row = add_scenario(session, scenario)
        plan = add_plan(session, scenario_id=row.id, scenario=scenario,
                        plan=Plan("tiny", (route,), (), "test", walks=walks), comparison=None,
                        runs=(Run.AM,), job_id=None)  # fmt: skip
        return row.id, plan.id


def test_scenario_keeps_its_points_and_who_may_use_one(fresh: World) -> None:
    scenario_id, _ = _plan_with_walks(fresh)
    with fresh.factory() as session:
        loaded = load_scenario(session, scenario_id)
    assert loaded is not None
    _, scenario = loaded
    assert scenario.collection_points == (POINT,)
    able = {p.pupil_id for p in scenario.pupils if p.can_use_collection_point}
    assert able == {"P001", "P002"}


def test_officer_sees_who_walks_where_and_how_far(fresh: World) -> None:
    _, plan_id = _plan_with_walks(fresh)
    plan = fresh.client.get(f"{API}/plans/{plan_id}", headers=fresh.headers["officer"]).json()
    assert plan["walks"] == [
        {"pupil_id": "P001", "point_id": "CP1", "walk_m": 420, "walk_is_estimated": True},
        {"pupil_id": "P002", "point_id": "CP1", "walk_m": 610, "walk_is_estimated": True},
    ]
    [step] = [s for r in plan["routes"] for s in r["steps"] if s["location_id"] == "point:CP1"]
    assert sorted(step["pupil_ids"]) == ["P001", "P002"]


def test_school_list_says_where_each_pupil_is_picked_up(fresh: World) -> None:
    _, plan_id = _plan_with_walks(fresh)
    publish_plan(fresh.client, fresh.headers["officer"], plan_id)
    headers = fresh.headers["school1"]
    listing = fresh.client.get(
        f"{API}/schools/S1/pickups?plan={plan_id}&run=AM", headers=headers
    ).json()
    places = {p["pickup_place"] for p in listing["pupils"]}
    assert places == {
        "Outside the library (walk about 420 m)",
        "Outside the library (walk about 610 m)",
    }
    text = fresh.client.get(
        f"{API}/schools/S1/pickups.csv?plan={plan_id}&run=AM", headers=headers
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    carried = [r["pickup_place"] for r in rows if r["vehicle"] != "no transport arranged yet"]
    assert sorted(carried) == sorted(places)


def test_erasing_a_pupil_removes_their_walk(fresh: World) -> None:
    scenario_id, plan_id = _plan_with_walks(fresh)
    officer = fresh.headers["officer"]
    erased = fresh.client.delete(f"{API}/pupils/{scenario_id}/P001", headers=officer)
    assert erased.status_code == 200, erased.text
    plan = fresh.client.get(f"{API}/plans/{plan_id}", headers=officer).json()
    assert [w["pupil_id"] for w in plan["walks"]] == ["P002"]
