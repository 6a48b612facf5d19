"""The officer's map: the route table and the layers under the routes, by role."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import World, fresh_app, make_settings, tiny_scenario, token_headers
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.scenario_store import add_scenario
from api.users import add_user
from routing.dataset import load_scenario

RUTLAND = Path(__file__).resolve().parents[2] / "data" / "rutland"
PASSWORD = "a long test password, not a real one"


def test_route_table_has_a_row_per_route_with_figures_recomputed_from_its_stops(
    world: World,
) -> None:
    officer = world.headers["officer"]
    rows = world.client.get(f"/api/v1/plans/{world.plan_id}/route-table", headers=officer)
    assert rows.status_code == 200, rows.text
    plan = world.client.get(f"/api/v1/plans/{world.plan_id}", headers=officer).json()
    by_key = {(r["run"], r["route_id"]): r for r in rows.json()}
    assert set(by_key) == {(r["run"], r["route_id"]) for r in plan["routes"]}
    for route in plan["routes"]:
        row = by_key[(route["run"], route["route_id"])]
        steps = [s for s in route["steps"] if s["kind"] in ("pickup", "dropoff")]
        boarded: dict[str, int] = {}
        rides: list[int] = []
        for step in steps:
            for pid in step["pupil_ids"]:
                if step["kind"] == "pickup":
                    boarded[pid] = step["departure_s"]
                else:
                    rides.append(step["service_start_s"] - boarded[pid])
        assert row["num_pupils"] == len(boarded) == route["num_pupils"]
        assert row["longest_ride_s"] == max(rides)
        assert 1 <= row["peak_on_board"] <= row["num_places"]
        assert row["occupancy_pct"] == round(100 * row["peak_on_board"] / row["num_places"])
        assert row["first_pickup_s"] == min(
            s["service_start_s"] for s in steps if s["kind"] == "pickup"
        )
        assert row["first_pickup"] < row["arrival"]  # "08:05" < "08:40"
        assert row["cost_pence"] == route["cost_pence"]
        assert "pupil_ids" not in row  # counts and times: no pupil named
    assert sum(r["cost_pence"] for r in rows.json()) == plan["summary"]["day_cost_pence"]


@pytest.mark.parametrize("role", ["finance", "school1"])
def test_route_table_and_base_map_are_the_officers_only(world: World, role: str) -> None:
    headers = world.headers[role]
    for path in (
        f"/api/v1/plans/{world.plan_id}/route-table",
        f"/api/v1/scenarios/{world.scenario_id}/basemap",
    ):
        assert world.client.get(path, headers=headers).status_code == 403, path


def test_unknown_plan_and_scenario_are_not_found(world: World) -> None:
    officer = world.headers["officer"]
    missing = world.client.get("/api/v1/plans/999999/route-table", headers=officer)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert world.client.get("/api/v1/scenarios/999999/basemap", headers=officer).status_code == 404


def test_an_uploaded_scenario_has_no_layers_and_by_default_no_tiles(world: World) -> None:
    response = world.client.get(
        f"/api/v1/scenarios/{world.scenario_id}/basemap", headers=world.headers["officer"]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"scenario_id": world.scenario_id, "tiles": None, "layers": []}


def test_a_scenario_loaded_from_its_folder_draws_its_boundary_and_roads(fresh: World) -> None:
    with fresh.factory() as session, session.begin():
        scenario_id = add_scenario(session, load_scenario(RUTLAND), source_dir=RUTLAND).id
    response = fresh.client.get(
        f"/api/v1/scenarios/{scenario_id}/basemap", headers=fresh.headers["officer"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tiles"] is None
    boundary, roads = body["layers"]
    assert boundary["name"] == "boundary" and "Crown copyright" in boundary["attribution"]
    assert roads["name"] == "roads" and "OpenStreetMap" in roads["attribution"]
    lines = [line for f in roads["geojson"]["features"] for line in f["geometry"]["coordinates"]]
    # Every road inside the Rutland graph's box (data/SOURCES.md).
    assert all(-0.846 <= x <= -0.395 and 52.522 <= y <= 52.763 for ln in lines for x, y in ln)


def test_a_tile_url_in_the_settings_reaches_the_map_and_the_page_policy(tmp_path: Path) -> None:
    url = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    app, _ = fresh_app(tmp_path, map_tile_url=url, map_tile_attribution="© Example tiles")
    with TestClient(app) as client:
        add_user("officer", "officer", password=PASSWORD, session_factory=app.state.session_factory)
        with app.state.session_factory() as session, session.begin():
            scenario_id = add_scenario(session, tiny_scenario()).id
        headers = token_headers(client, "officer", PASSWORD)
        body = client.get(f"/api/v1/scenarios/{scenario_id}/basemap", headers=headers).json()
        assert body["tiles"] == {"url": url, "attribution": "© Example tiles", "max_zoom": 19}
        policy = client.get("/").headers["content-security-policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "frame-ancestors 'none'" in policy


def test_without_a_tile_url_the_page_loads_images_from_itself_only(world: World) -> None:
    page = world.client.get("/")
    assert page.status_code == 200 and "map.js" in page.text
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert "content-security-policy" not in world.client.get("/docs").headers


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tiles.example.org/{z}/{x}/{y}.png",  # not http(s)
        "https://tiles.example.org/tile.png",  # no {z}: not a template
    ],
)
def test_a_tile_url_that_is_not_a_template_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValidationError, match="map_tile_url must be an http"):
        make_settings(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, map_tile_url=url)
