"""The service's main flows, on SQLite and on PostgreSQL (the ``world`` fixture runs both):
upload, plan as a background job, read, export, compare, pickups."""

from __future__ import annotations

import csv
import io

from api_support import PUPILS, World


def test_job_reports_success_with_plan_and_best_cost(world: World) -> None:
    job = world.client.get(f"/api/v1/jobs/{world.job_id}", headers=world.headers["officer"])
    body = job.json()
    assert body["state"] == "succeeded"
    assert body["attempts"] == 1
    assert body["plan_id"] == world.plan_id
    assert body["best_cost_pence"] > 0
    assert body["progress"]["phase"] == "done"


def test_officer_reads_plan_with_routes_stops_and_every_pupil_accounted(world: World) -> None:
    response = world.client.get(f"/api/v1/plans/{world.plan_id}", headers=world.headers["officer"])
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["runs"] == ["AM", "PM"]
    carried = {
        (route["run"], pid)
        for route in plan["routes"]
        for step in route["steps"]
        if step["kind"] == "pickup"
        for pid in step["pupil_ids"]
    }
    left = {(u["run"], u["pupil_id"]) for u in plan["unassigned"]}
    expected = {(run, p[0]) for p in PUPILS for run in ("AM", "PM")}
    assert carried | left == expected
    assert not carried & left
    assert plan["summary"]["day_cost_pence"] == sum(r["cost_pence"] for r in plan["routes"])
    first_step = plan["routes"][0]["steps"][0]
    assert len(first_step["arrival"]) == 5 and first_step["arrival"][2] == ":"


def test_finance_reads_plan_costs_without_stops(world: World) -> None:
    response = world.client.get(f"/api/v1/plans/{world.plan_id}", headers=world.headers["finance"])
    assert response.status_code == 200
    plan = response.json()
    assert "steps" not in plan["routes"][0]
    assert "unassigned" not in plan
    assert plan["summary"]["day_cost_pence"] > 0


def test_plan_csv_export_neutralises_formula_cells(world: World) -> None:
    for url in (f"/api/v1/plans/{world.plan_id}.csv", f"/api/v1/plans/{world.plan_id}?format=csv"):
        response = world.client.get(url, headers=world.headers["officer"])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        ids = {r["pupil_id"] for r in rows}
        assert "'=P006" in ids
        assert "=P006" not in ids
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "@")), cell


def test_plan_geojson_export_has_routes_and_stops_in_lon_lat(world: World) -> None:
    for url in (
        f"/api/v1/plans/{world.plan_id}.geojson",
        f"/api/v1/plans/{world.plan_id}?format=geojson",
    ):
        response = world.client.get(url, headers=world.headers["officer"])
        assert response.status_code == 200
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        kinds = {f["properties"]["feature"] for f in collection["features"]}
        assert kinds == {"route", "stop"}
        lon, lat = next(
            f["geometry"]["coordinates"]
            for f in collection["features"]
            if f["geometry"]["type"] == "Point"
        )
        assert 0.1 < lon < 0.3 and 51.5 < lat < 51.7


def test_comparison_gives_plan_and_current_costs_by_school_and_vehicle(world: World) -> None:
    for role in ("officer", "finance"):
        response = world.client.get(
            f"/api/v1/plans/{world.plan_id}/comparison", headers=world.headers[role]
        )
        assert response.status_code == 200
        body = response.json()
        comparison = body["comparison"]
        assert comparison["plan"]["day_pence"] > 0
        assert comparison["plan"]["annual_pence"] == (
            comparison["plan"]["day_pence"] * body["summary"]["school_days_per_year"]
        )
        assert {s["school_id"] for s in comparison["by_school"]} <= {"S1", "S2"}
        assert comparison["by_vehicle_type"]
        assert "mean_min" in comparison["plan"]["rides"]


def test_school_pickups_list_own_pupils_with_first_name_and_initial(world: World) -> None:
    response = world.client.get(
        f"/api/v1/schools/S1/pickups?plan={world.plan_id}", headers=world.headers["school1"]
    )
    assert response.status_code == 200, response.text
    pupils = response.json()["pupils"]
    expected_names = {f"{p[2]} {p[3][0]}." for p in PUPILS if p[1] == "S1"}
    assert {p["name"] for p in pupils} == expected_names
    assert {p["run"] for p in pupils} == {"AM", "PM"}
    for p in pupils:
        assert p["pickup_s"] <= p["arrival_s"]
        assert isinstance(p["has_assistant"], bool)
        assert p["vehicle"]


def test_school_pickups_filter_by_run(world: World) -> None:
    response = world.client.get(
        f"/api/v1/schools/S2/pickups?plan={world.plan_id}&run=AM",
        headers=world.headers["school2"],
    )
    assert response.status_code == 200
    assert {p["run"] for p in response.json()["pupils"]} == {"AM"}


def test_school_lists_the_plans_that_include_it(world: World) -> None:
    response = world.client.get("/api/v1/schools/S1/plans", headers=world.headers["school1"])
    assert response.status_code == 200
    assert world.plan_id in {p["plan_id"] for p in response.json()}


def test_scenarios_list_and_get_show_counts_without_pupils(world: World) -> None:
    listing = world.client.get("/api/v1/scenarios", headers=world.headers["finance"]).json()
    assert world.scenario_id in {s["id"] for s in listing}
    one = world.client.get(
        f"/api/v1/scenarios/{world.scenario_id}", headers=world.headers["finance"]
    ).json()
    assert one["num_pupils"] == len(PUPILS)
    assert {s["school_id"]: s["num_pupils"] for s in one["schools"]} == {"S1": 3, "S2": 3}
    assert "pupils" not in one


def test_officer_lists_pupils_of_one_school_with_needs(world: World) -> None:
    response = world.client.get(
        f"/api/v1/scenarios/{world.scenario_id}/pupils?school_id=S1",
        headers=world.headers["officer"],
    )
    assert response.status_code == 200
    pupils = response.json()["pupils"]
    assert [p["pupil_id"] for p in pupils] == ["P001", "P002", "P003"]
    assert pupils[2]["needs"]["wheelchair"] is True


def test_api_key_signs_in_a_service_account(world: World) -> None:
    response = world.client.get("/api/v1/me", headers={"X-API-Key": world.api_key})
    assert response.status_code == 200
    assert response.json() == {
        "username": "robot",
        "role": "officer",
        "school_ids": [],
        "via": "api_key",
    }
