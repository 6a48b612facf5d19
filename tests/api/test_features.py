"""Issue 5 through the API: eligibility with reasons and the walk behind a decision,
finance comparisons of variants as worker jobs, school pickup-list exports (CSV, HTML) and
route sheets. The ``world`` fixture runs on SQLite and PostgreSQL; its comparison job ran
through the real worker (baseline + one variant, 1 s a plan)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from api_support import (
    PUPILS,
    WORLD_VARIANT,
    World,
    publish_plan,
    tiny_scenario,
    upload_tiny,
)
from sqlalchemy import select

from api.config import Settings
from api.models import AuditRow, JobRow
from api.plan_store import add_plan
from api.scenario_store import add_scenario, load_scenario, with_server_files
from routing.eligibility import FROM_8_WALK_LIMIT_M, UNDER_8_WALK_LIMIT_M
from routing.matrix import great_circle_m
from routing.model import (
    NetworkSource,
    Plan,
    Pupil,
    Route,
    Run,
    Scenario,
    SolveParams,
    Stop,
    StopKind,
)

API = "/api/v1"
LAST_NAMES = [p[3] for p in PUPILS]
POSTCODES = [p[4] for p in PUPILS]


# --------------------------------------------------------------------------- eligibility


def test_officer_gets_one_decision_per_pupil_with_rule_reason_and_distance(world: World) -> None:
    response = world.client.get(
        f"{API}/scenarios/{world.scenario_id}/eligibility", headers=world.headers["officer"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    decisions = {d["pupil_id"]: d for d in body["decisions"]}
    assert set(decisions) == {p[0] for p in PUPILS}
    assert body["num_pupils"] == len(PUPILS)
    assert body["num_eligible"] == sum(d["is_eligible"] for d in decisions.values())
    # The tiny scenario has no walk network: every distance is an estimate, and says so.
    assert body["is_indicative"] is True
    for d in decisions.values():
        assert d["is_indicative"] is True
        if d["rule"] != "cannot_walk_send":  # assessed as unable to walk: distance moot
            assert "indicative" in d["reason"].lower(), d
        assert d["walk_distance_m"] > 0
        assert d["statutory_limit_m"] in (
            pytest.approx(UNDER_8_WALK_LIMIT_M, abs=0.1),
            pytest.approx(FROM_8_WALK_LIMIT_M, abs=0.1),
        )
        assert d["rule"] in d["rules_met"] or d["rule"] == "within_walking_distance"
    # Year 3 (age 7) walks 2 miles; year 4 (age 8) and older 3 miles.
    assert decisions["P001"]["statutory_limit_m"] == pytest.approx(UNDER_8_WALK_LIMIT_M, abs=0.1)
    assert decisions["P002"]["statutory_limit_m"] == pytest.approx(FROM_8_WALK_LIMIT_M, abs=0.1)
    for secret in LAST_NAMES + POSTCODES:
        assert secret not in response.text


def test_eligibility_of_one_school_and_of_a_missing_scenario(world: World) -> None:
    headers = world.headers["officer"]
    url = f"{API}/scenarios/{world.scenario_id}/eligibility?school_id=S2"
    body = world.client.get(url, headers=headers).json()
    assert {d["pupil_id"] for d in body["decisions"]} == {p[0] for p in PUPILS if p[1] == "S2"}
    missing = world.client.get(f"{API}/scenarios/987654/eligibility", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


@pytest.mark.parametrize("pupil_id", ["P001", "=P006"])  # plain; needs URL quoting
def test_eligibility_route_is_geojson_of_the_walk_with_the_decision(
    world: World, pupil_id: str
) -> None:
    url = f"{API}/scenarios/{world.scenario_id}/eligibility/{quote(pupil_id)}/route"
    response = world.client.get(url, headers=world.headers["officer"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    by_kind = {f["properties"]["feature"]: f for f in collection["features"]}
    assert set(by_kind) == {"walk_route", "home", "school"}
    walk = by_kind["walk_route"]
    assert walk["geometry"]["type"] == "LineString"
    assert walk["properties"]["pupil_id"] == pupil_id
    assert walk["properties"]["geometry"] == "straight"  # indicative: drawn straight
    assert walk["properties"]["is_indicative"] is True
    pupil = next(p for p in tiny_scenario().pupils if p.pupil_id == pupil_id)
    assert by_kind["home"]["geometry"]["coordinates"] == [pupil.lon, pupil.lat]  # lon, lat
    for secret in LAST_NAMES + POSTCODES + [p[2] for p in PUPILS]:
        assert secret not in response.text


def test_eligibility_route_of_an_unknown_pupil_or_scenario_is_the_same_404(world: World) -> None:
    headers = world.headers["officer"]
    unknown_pupil = world.client.get(
        f"{API}/scenarios/{world.scenario_id}/eligibility/P999/route", headers=headers
    )
    unknown_scenario = world.client.get(
        f"{API}/scenarios/987654/eligibility/P999/route", headers=headers
    )
    assert unknown_pupil.status_code == unknown_scenario.status_code == 404
    assert unknown_pupil.json()["message"] == unknown_scenario.json()["message"]


def _walk_scenario(folder: Path) -> Scenario:
    """The tiny scenario with a footpath graph: an L from P001's home to school S1."""
    import networkx as nx
    import osmnx as ox

    base = tiny_scenario()
    school = base.school("S1")
    home = (school.lon + 0.01, school.lat + 0.01)
    corner = (school.lon, school.lat + 0.01)
    points = {1: (school.lon, school.lat), 2: corner, 3: home}
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in points.items():
        graph.add_node(node, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3)):
        length_m = great_circle_m(*points[u], *points[v])
        for a, b in ((u, v), (v, u)):
            graph.add_edge(a, b, key=0, length=length_m, highway="footway", osmid=10 * u + v)
    ox.save_graphml(graph, folder / "walk.graphml")
    pupils = tuple(
        replace(p, lon=home[0], lat=home[1]) if p.pupil_id == "P001" else p for p in base.pupils
    )
    return replace(base, pupils=pupils, network=NetworkSource(walk_graph="walk.graphml"))


def test_walks_are_measured_on_the_walk_network_of_a_scenario_folder(
    fresh: World, tmp_path: Path
) -> None:
    folder = tmp_path / "walk-scenario"
    folder.mkdir()
    scenario = _walk_scenario(folder)
    with fresh.factory() as session, session.begin():
        from_folder = add_scenario(session, scenario, source_dir=folder).id
        # The same scenario uploaded (no folder on the server), naming the graph by its
        # absolute path: the service must not read it.
        absolute = replace(scenario, network=NetworkSource(walk_graph=str(folder / "walk.graphml")))
        uploaded = add_scenario(session, absolute).id
    headers = fresh.headers["officer"]
    measured = fresh.client.get(f"{API}/scenarios/{from_folder}/eligibility", headers=headers)
    p001 = next(d for d in measured.json()["decisions"] if d["pupil_id"] == "P001")
    school = scenario.school("S1")
    pupil = scenario.pupil("P001")
    legs_m = great_circle_m(pupil.lon, pupil.lat, school.lon, pupil.lat) + great_circle_m(
        school.lon, pupil.lat, school.lon, school.lat
    )
    assert p001["is_indicative"] is False
    assert p001["walk_distance_m"] == pytest.approx(legs_m, abs=2.0)
    route = fresh.client.get(
        f"{API}/scenarios/{from_folder}/eligibility/P001/route", headers=headers
    ).json()
    walk = route["features"][0]
    assert walk["properties"]["geometry"] == "walk_network"
    corner = (school.lon, pupil.lat)
    assert any(  # along the L, not straight
        c == pytest.approx(corner, abs=1e-9) for c in walk["geometry"]["coordinates"]
    )
    estimated = fresh.client.get(f"{API}/scenarios/{uploaded}/eligibility", headers=headers)
    assert estimated.json()["is_indicative"] is True


def test_an_uploaded_scenario_reads_no_graph_files(fresh: World) -> None:
    scenario = replace(
        tiny_scenario(), network=NetworkSource(drive_graph="/etc/x.graphml", walk_graph="w")
    )
    with fresh.factory() as session, session.begin():
        row = add_scenario(session, scenario)
        kept, folder = with_server_files(row, scenario)
    assert folder is None
    assert (kept.network.drive_graph, kept.network.walk_graph) == ("", "")


# --------------------------------------------------------------------------- comparisons


def test_comparison_job_ran_on_the_real_worker_with_baseline_and_variant_rows(
    world: World,
) -> None:
    job = world.client.get(
        f"{API}/jobs/{world.comparison_job_id}", headers=world.headers["officer"]
    ).json()
    assert (job["kind"], job["state"], job["plan_id"]) == ("comparison", "succeeded", None)
    assert job["comparison_id"] == world.comparison_id
    assert job["progress"]["phase"] == "done"
    for user in ("finance", "officer"):
        response = world.client.get(
            f"{API}/comparisons/{world.comparison_id}", headers=world.headers[user]
        )
        assert response.status_code == 200, response.text
        table = response.json()
        assert table["variants"] == [WORLD_VARIANT]
        assert (table["run"], table["time_limit_s"]) == ("AM", 1.0)
        rows = {r["variant"]: r for r in table["rows"]}
        assert set(rows) == {"baseline", "nomix"}  # no current routes in the tiny scenario
        for row in rows.values():
            assert row["error"] == ""
            assert row["annual_cost_gbp"] > 0
            assert row["num_vehicles"] > 0
            assert row["num_pupils"] == len(PUPILS)
            assert row["max_ride_min"] >= row["mean_ride_min"] > 0
            assert (
                sum(v for k, v in row.items() if k.startswith("vehicles_")) == row["num_vehicles"]
            )
        assert rows["baseline"]["change_vs_baseline_gbp"] == 0
        assert "mixed-school routes forbidden" in rows["nomix"]["description"]
        for secret in [p[2] for p in PUPILS] + LAST_NAMES + POSTCODES:
            assert secret not in response.text
    missing = world.client.get(f"{API}/comparisons/987654", headers=world.headers["finance"])
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("variants", "code", "words"),
    [
        (["nonsense"], "invalid_variant", "NAME=OVERRIDE"),  # no '='
        (["a=bogus_key=1"], "invalid_variant", "bogus_key"),  # unknown setting
        (["baseline=price_factor=2"], "invalid_variant", "reserved"),  # reserved name
        (["x=school:NOPE:am_shift_min=10"], "invalid_variant", "NOPE"),  # unknown school
        (["x=budget:P404"], "invalid_variant", "P404"),  # unknown pupil
        (["p=vehicle_prices:/etc/passwd"], "invalid_variant", "not accepted"),  # server file
        ([f"v{i}=price_factor=1.1" for i in range(7)], "too_many_variants", "limit"),
    ],
)
def test_bad_comparisons_are_refused_at_once_naming_the_problem(
    fresh: World, tiny_files: dict[str, bytes], variants: list[str], code: str, words: str
) -> None:
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    response = fresh.client.post(
        f"{API}/scenarios/{scenario_id}/comparisons",
        json={"variants": variants, "time_limit_s": 1},
        headers=fresh.headers["finance"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert words in response.json()["message"]
    with fresh.factory() as session:
        assert session.scalar(select(JobRow.id)) is None  # nothing queued


def test_comparison_limits_time_per_solve_and_solves_per_user(
    fresh: World, tiny_files: dict[str, bytes]
) -> None:
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    url = f"{API}/scenarios/{scenario_id}/comparisons"
    headers = fresh.headers["finance"]
    too_long = fresh.client.post(
        url, json={"variants": ["a=price_factor=1.1"], "time_limit_s": 60}, headers=headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "time_limit_too_long"
    limit = fresh.settings.max_concurrent_solves_per_user
    for i in range(limit):
        accepted = fresh.client.post(
            url, json={"variants": [f"a{i}=price_factor=1.1"], "time_limit_s": 1}, headers=headers
        )
        assert accepted.status_code == 202, accepted.text
        assert accepted.headers["location"] == f"{API}/jobs/{accepted.json()['job_id']}"
    refused = fresh.client.post(
        url, json={"variants": ["b=price_factor=1.1"], "time_limit_s": 1}, headers=headers
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_solves"
    # Plans and comparisons share the limit.
    plan = fresh.client.post(
        f"{API}/scenarios/{scenario_id}/plans", json={"time_limit_s": 1}, headers=headers
    )
    assert plan.status_code == 429
    missing = fresh.client.post(
        f"{API}/scenarios/987654/comparisons",
        json={"variants": ["a=price_factor=1.1"]},
        headers=headers,
    )
    assert missing.status_code == 404


def test_comparison_idempotency_key_returns_the_same_job(
    fresh: World, tiny_files: dict[str, bytes]
) -> None:
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    url = f"{API}/scenarios/{scenario_id}/comparisons"
    headers = {**fresh.headers["finance"], "Idempotency-Key": "cmp-1"}
    body = {"variants": ["a=price_factor=1.1"], "time_limit_s": 1}
    first = fresh.client.post(url, json=body, headers=headers)
    again = fresh.client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    assert first.json()["kind"] == "comparison"
    other = fresh.client.post(url, json={**body, "time_limit_s": 2}, headers=headers)
    assert other.status_code == 422
    # The same key for a plan is a different request too.
    plan = fresh.client.post(
        f"{API}/scenarios/{scenario_id}/plans", json={"time_limit_s": 1}, headers=headers
    )
    assert plan.status_code == 422
    assert plan.json()["code"] == "idempotency_key_reused"


def test_a_variant_that_cannot_be_planned_is_a_row_with_its_error(
    fresh: World, tiny_files: dict[str, bytes]
) -> None:
    """The worker stores what compare_variants returns, failed variants included (fake
    compare: the planning itself is routing's, tested there)."""
    scenario_id = upload_tiny(fresh.client, fresh.headers["officer"], tiny_files)
    job_id = fresh.client.post(
        f"{API}/scenarios/{scenario_id}/comparisons",
        json={"variants": ["a=price_factor=1.1"], "time_limit_s": 1, "run": "PM"},
        headers=fresh.headers["officer"],
    ).json()["job_id"]
    seen: dict[str, object] = {}

    def fake_compare(
        scenario: Scenario,
        source_dir: Path | None,
        variants: Sequence[str],
        params: SolveParams,
        runs: tuple[Run, ...],
        include_current: bool,
        on_step: Callable[[str], None],
        settings: Settings,
    ) -> dict[str, Any]:
        seen.update(variants=list(variants), runs=runs, time_limit_s=params.time_limit_s,
                    source_dir=source_dir)  # fmt: skip
        on_step("planning baseline: the scenario as it is")
        return {
            "scenario": scenario.name,
            "travel_model": "test",
            "rows": [
                {"variant": "baseline", "description": "the scenario as it is",
                 "annual_cost_gbp": 100.0, "change_vs_baseline_gbp": 0.0,
                 "change_vs_baseline_pct": 0.0, "cost_per_pupil_gbp": 10.0,
                 "day_cost_gbp": 1.0, "num_pupils": 6, "num_vehicles": 2,
                 "num_assistants": 0, "pupils_over_45_min": 0, "pupils_over_75_min": 0,
                 "mean_ride_min": 20.0, "max_ride_min": 30.0, "num_unassigned": 0,
                 "estimated_annual_gbp": 0.0, "num_budget_pupils": 0,
                 "budget_annual_gbp": 0.0, "error": "", "vehicles_taxi": 2},
                {"variant": "a", "description": "vehicle prices x1.1", "annual_cost_gbp": 0.0,
                 "change_vs_baseline_gbp": "", "change_vs_baseline_pct": "",
                 "cost_per_pupil_gbp": 0.0, "day_cost_gbp": 0.0, "num_pupils": 0,
                 "num_vehicles": 0, "num_assistants": 0, "pupils_over_45_min": 0,
                 "pupils_over_75_min": 0, "mean_ride_min": 0.0, "max_ride_min": 0.0,
                 "num_unassigned": 0, "estimated_annual_gbp": 0.0, "num_budget_pupils": 0,
                 "budget_annual_gbp": 0.0, "error": "No solution found.", "vehicles_taxi": 0},
            ],
        }  # fmt: skip

    assert fresh.worker(compare=fake_compare).run_once()
    assert seen == {"variants": ["a=price_factor=1.1"], "runs": (Run.PM,), "time_limit_s": 1.0,
                    "source_dir": None}  # fmt: skip
    job = fresh.client.get(f"{API}/jobs/{job_id}", headers=fresh.headers["finance"]).json()
    assert job["state"] == "succeeded"
    table = fresh.client.get(
        f"{API}/comparisons/{job['comparison_id']}", headers=fresh.headers["finance"]
    ).json()
    assert [(r["variant"], r["error"]) for r in table["rows"]] == [
        ("baseline", ""),
        ("a", "No solution found."),
    ]
    assert table["rows"][0]["vehicles_taxi"] == 2  # per-type columns pass through


# --------------------------------------------------------------------------- pickup lists


def test_school_downloads_its_pickup_list_as_csv_and_html(world: World) -> None:
    headers = world.headers["school1"]
    base = f"{API}/schools/S1/pickups"
    csv_response = world.client.get(f"{base}.csv?plan={world.plan_id}&run=AM", headers=headers)
    assert csv_response.status_code == 200, csv_response.text
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert list(rows[0]) == [
        "pupil", "pickup_time", "arrival_time", "vehicle", "assistant", "pickup_place"
    ]  # fmt: skip
    s1 = [p for p in PUPILS if p[1] == "S1"]
    assert sorted(r["pupil"] for r in rows) == sorted(f"{p[2]} {p[3][0]}." for p in s1)
    json_list = world.client.get(f"{base}?plan={world.plan_id}&run=AM", headers=headers).json()
    assert {(r["pupil"], r["pickup_time"]) for r in rows} == {
        (p["name"], p["pickup"]) for p in json_list["pupils"]
    }  # the same times as the JSON list
    html_response = world.client.get(f"{base}.html?plan={world.plan_id}&run=PM", headers=headers)
    assert html_response.status_code == 200
    assert html_response.headers["content-type"].startswith("text/html")
    assert "Oak School: PM pickup list" in html_response.text
    for secret in LAST_NAMES + POSTCODES + ["P001", "Devraj"]:  # S2's pupil neither
        assert secret not in csv_response.text
        assert secret not in html_response.text


def test_pickup_export_needs_a_run_and_an_existing_plan(world: World) -> None:
    headers = world.headers["officer"]
    no_run = world.client.get(f"{API}/schools/S1/pickups.csv?plan={world.plan_id}", headers=headers)
    assert no_run.status_code == 422
    no_plan = world.client.get(f"{API}/schools/S1/pickups.csv?plan=987654&run=AM", headers=headers)
    assert no_plan.status_code == 404


FORMULA_FIRST_NAME = '=HYPERLINK("http://x")'
SCRIPT_FIRST_NAME = "<script>alert(1)</script>"


def _hostile_plan(fresh: World) -> tuple[int, str]:
    """The tiny scenario with a formula, a script tag and a leading '+' for first names,
    and one hand-made AM route carrying those pupils to school S1."""
    base = tiny_scenario()
    names = {"P001": FORMULA_FIRST_NAME, "P002": SCRIPT_FIRST_NAME, "P003": "+Carys"}
    pupils = tuple(replace(p, first_name=names.get(p.pupil_id, p.first_name)) for p in base.pupils)
    scenario = replace(base, pupils=pupils)
    with fresh.factory() as session, session.begin():
        row = add_scenario(session, scenario)
        school = scenario.school("S1")
        carried: list[Pupil] = [scenario.pupil(pid) for pid in ("P001", "P002", "P003")]
        stops = [
            Stop(StopKind.PICKUP, (p.pupil_id,), f"pupil:{p.pupil_id}", p.lon, p.lat,
                 29000 + 600 * i, 29000 + 600 * i, 29060 + 600 * i)
            for i, p in enumerate(carried)
        ] + [
            Stop(StopKind.DROPOFF, tuple(p.pupil_id for p in carried), "school:S1",
                 school.lon, school.lat, 31000, 31000, 31030, "S1"),
        ]  # fmt: skip
        route = Route("AM-001", Run.AM, "@minibus", 8, 1, True, tuple(stops), 9000, 2030, 9000)
        plan = add_plan(session, scenario_id=row.id, scenario=scenario,
                        plan=Plan("tiny", (route,), (), "test"), comparison=None,
                        runs=(Run.AM,), job_id=None)  # fmt: skip
        return plan.id, route.route_id


def test_pickup_csv_neutralises_formula_cells_and_html_escapes_markup(fresh: World) -> None:
    plan_id, _ = _hostile_plan(fresh)
    publish_plan(fresh.client, fresh.headers["officer"], plan_id)
    headers = fresh.headers["school1"]
    response = fresh.client.get(
        f"{API}/schools/S1/pickups.csv?plan={plan_id}&run=AM", headers=headers
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    cells = [cell for row in rows for cell in row.values()]
    assert "'" + FORMULA_FIRST_NAME[:20] in "".join(cells)  # kept, but as text
    assert any(c.startswith("'+Carys") for c in cells)
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@")), cell
    page = fresh.client.get(
        f"{API}/schools/S1/pickups.html?plan={plan_id}&run=AM", headers=headers
    ).text
    assert SCRIPT_FIRST_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --------------------------------------------------------------------------- route sheets


def test_officer_gets_a_route_sheet_with_stops_times_and_boarding_notes_only(
    fresh: World,
) -> None:
    plan_id, route_id = _hostile_plan(fresh)
    response = fresh.client.get(
        f"{API}/plans/{plan_id}/routes/{route_id}/sheet", headers=fresh.headers["officer"]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"Route {route_id} (AM)" in page
    assert page.index("08:03") < page.index("08:13") < page.index("08:23")  # stops in order
    assert "wheelchair user" in page  # P003 uses a wheelchair
    assert "RM3 1XY" in page and "Oak School" in page  # where to stop
    assert SCRIPT_FIRST_NAME not in page  # escaped
    for last in ("Khanworth", "Stokesley", "Doylestone"):
        assert last not in page  # initials only
    for field in ("boarding_s", "max_ride", "travel_alone", "vehicle_requirement"):
        assert field not in page
    # Only officers may read sheets; an unknown route or plan is a 404.
    for user in ("finance", "school1"):
        denied = fresh.client.get(
            f"{API}/plans/{plan_id}/routes/{route_id}/sheet", headers=fresh.headers[user]
        )
        assert denied.status_code == 403
    for url in (f"{API}/plans/{plan_id}/routes/PM-999/sheet",
                f"{API}/plans/987654/routes/{route_id}/sheet",
                f"{API}/plans/{plan_id}/routes/{route_id}/sheet?run=PM"):  # fmt: skip
        assert fresh.client.get(url, headers=fresh.headers["officer"]).status_code == 404


def test_route_sheet_of_the_solved_plan_is_audited(world: World) -> None:
    response = world.client.get(
        f"{API}/plans/{world.plan_id}/routes/{world.route_id}/sheet",
        headers=world.headers["officer"],
    )
    assert response.status_code == 200
    with world.factory() as session:
        row = session.scalar(
            select(AuditRow).where(AuditRow.request_id == response.headers["x-request-id"])
        )
    assert row is not None
    assert (row.action, row.resource) == (
        "plan.route_sheet",
        f"plan:{world.plan_id}/route:{world.route_id}",
    )


def test_scenario_store_round_trip_keeps_what_the_features_read(fresh: World) -> None:
    """Eligibility reads the assessment flags and dates of birth back from the store."""
    base = tiny_scenario()
    flagged = replace(base.pupil("P004"), cannot_walk_assessed=True, has_unsafe_route=True)
    scenario = replace(
        base, pupils=tuple(flagged if p.pupil_id == "P004" else p for p in base.pupils)
    )
    with fresh.factory() as session, session.begin():
        scenario_id = add_scenario(session, scenario).id
    response = fresh.client.get(
        f"{API}/scenarios/{scenario_id}/eligibility?school_id=S2",
        headers=fresh.headers["officer"],
    )
    p004 = next(d for d in response.json()["decisions"] if d["pupil_id"] == "P004")
    assert p004["is_eligible"] is True
    assert p004["rule"] == "cannot_walk_send"
    with fresh.factory() as session:
        loaded = load_scenario(session, scenario_id)
    assert loaded is not None and loaded[1].pupil("P004").cannot_walk_assessed
