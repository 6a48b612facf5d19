"""Scenarios survive the database: domain -> rows -> domain gives the same scenario, and
a field added to the domain model fails here until the store maps it."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from api_support import tiny_scenario

from api.db import make_engine, make_session_factory
from api.migrate import upgrade_to_head
from api.models import PupilNeedsRow, PupilRow, SchoolRow, VehicleTypeRow
from api.scenario_store import add_scenario, load_scenario
from routing.model import (
    CurrentRoute,
    IncompatiblePair,
    Needs,
    NetworkSource,
    Policy,
    Pupil,
    RouteStart,
    School,
    VehicleRequirement,
    VehicleType,
)

REPO = Path(__file__).resolve().parents[2]


def roundtrip(scenario: object, tmp_path: Path) -> object:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        scenario_id = add_scenario(session, scenario).id  # type: ignore[arg-type]
    with factory() as session:
        loaded = load_scenario(session, scenario_id)
    engine.dispose()
    assert loaded is not None
    return loaded[1]


def test_every_field_survives_the_database(tmp_path: Path) -> None:
    base = tiny_scenario()
    first = dataclasses.replace(
        base.pupils[0],
        date_of_birth=date(2015, 3, 1),
        sibling_group="G1",
        attends_pm=False,
        is_low_income=True,
        has_unsafe_route=True,
        cannot_walk_assessed=False,
        needs=Needs(
            wheelchair=True, needs_assistant=True, travel_alone=True,
            vehicle_requirement=VehicleRequirement.SMALL_VEHICLE, boarding_s=240,
            max_ride_s=1800,
        ),
    )  # fmt: skip
    scenario = dataclasses.replace(
        base,
        pupils=(first, *base.pupils[1:]),
        policy=Policy(
            assistant_day_cost_pence=6000, route_start=RouteStart.DEPOT, depot_lon=0.2,
            depot_lat=51.5, peak_travel_factor=1.2, allow_mixed_school_routes=False,
        ),
        incompatible_pairs=(IncompatiblePair("P001", "P002"),),
        current_routes=(CurrentRoute("C1", "taxi", True, ("P001", "P002"), 12345),),
        network=NetworkSource(drive_graph="roads.graphml", description="test roads"),
    )  # fmt: skip
    assert roundtrip(scenario, tmp_path) == scenario


@pytest.mark.skipif(not (REPO / "data" / "havering").is_dir(), reason="no Havering data yet")
def test_havering_survives_the_database(tmp_path: Path) -> None:
    from api.domain import scenario_from_folder

    scenario = scenario_from_folder(REPO / "data" / "havering")
    assert roundtrip(scenario, tmp_path) == scenario


@pytest.mark.parametrize(
    ("domain", "row", "elsewhere"),
    [
        (School, SchoolRow, set()),  # every school field has a column
        (Pupil, PupilRow, {"needs"}),  # needs live in pupil_needs
        (Needs, PupilNeedsRow, set()),
        (VehicleType, VehicleTypeRow, set()),
    ],
)
def test_store_has_a_column_for_every_domain_field(
    domain: type, row: type, elsewhere: set[str]
) -> None:
    fields = {f.name for f in dataclasses.fields(domain)} - elsewhere
    columns = set(row.__table__.columns.keys())  # type: ignore[attr-defined]
    assert fields <= columns, f"map {sorted(fields - columns)} in api/scenario_store.py"
