"""Scenarios in the database: domain ``Scenario`` <-> normalised rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from api.convert import from_jsonable, to_jsonable
from api.models import PupilNeedsRow, PupilRow, ScenarioRow, SchoolRow, VehicleTypeRow
from routing.model import (
    CollectionPoint,
    CurrentRoute,
    IncompatiblePair,
    Needs,
    NetworkSource,
    Policy,
    Pupil,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)


def add_scenario(
    session: Session,
    scenario: Scenario,
    *,
    source_dir: Path | None = None,
    created_by: int | None = None,
    name: str | None = None,
) -> ScenarioRow:
    """Add ``scenario`` to ``session`` as rows (the caller's transaction commits it).

    Parameters
    ----------
    session
        An open session inside a transaction.
    scenario
        A validated scenario.
    source_dir
        The folder it was read from, if any: the worker finds the road network there.
    created_by
        Id of the user who uploaded it.
    name
        Display name; default the scenario's own.
    """
    row = ScenarioRow(
        name=name or scenario.name,
        source_dir=str(source_dir.resolve()) if source_dir else None,
        policy=to_jsonable(scenario.policy),
        network=to_jsonable(scenario.network),
        incompatible_pairs=to_jsonable(scenario.incompatible_pairs),
        current_routes=to_jsonable(scenario.current_routes),
        collection_points=to_jsonable(scenario.collection_points),
        num_pupils=len(scenario.pupils),
        num_schools=len(scenario.schools),
        created_by=created_by,
    )
    row.schools = [
        SchoolRow(
            position=i,
            school_id=s.school_id,
            name=s.name,
            lon=s.lon,
            lat=s.lat,
            kind=s.kind.value,
            am_start_s=s.am_start_s,
            pm_end_s=s.pm_end_s,
            arrive_window_open_s=s.arrive_window_open_s,
            arrive_window_close_s=s.arrive_window_close_s,
            pm_max_wait_s=s.pm_max_wait_s,
            handover_s=s.handover_s,
            postcode=s.postcode,
            local_authority=s.local_authority,
        )
        for i, s in enumerate(scenario.schools)
    ]
    row.vehicle_types = [
        VehicleTypeRow(
            position=i,
            name=v.name,
            category=v.category.value,
            capacity_seats=v.capacity_seats,
            max_wheelchair_places=v.max_wheelchair_places,
            seats_per_wheelchair_place=v.seats_per_wheelchair_place,
            num_available=v.num_available,
            day_rate_pence=v.day_rate_pence,
            cost_per_mile_pence=v.cost_per_mile_pence,
            max_shift_s=v.max_shift_s,
        )
        for i, v in enumerate(scenario.vehicle_types)
    ]
    session.add(row)
    # Schools first: pupils reference (scenario_id, school_id).
    session.flush()
    for i, p in enumerate(scenario.pupils):
        pupil = PupilRow(
            scenario_id=row.id,
            position=i,
            pupil_id=p.pupil_id,
            school_id=p.school_id,
            lon=p.lon,
            lat=p.lat,
            year_group=p.year_group,
            first_name=p.first_name,
            last_name=p.last_name,
            postcode=p.postcode,
            date_of_birth=p.date_of_birth,
            sibling_group=p.sibling_group,
            attends_am=p.attends_am,
            attends_pm=p.attends_pm,
            cannot_walk_assessed=p.cannot_walk_assessed,
            is_low_income=p.is_low_income,
            has_unsafe_route=p.has_unsafe_route,
            can_use_public_transport=p.can_use_public_transport,
            travel_training_suitable=p.travel_training_suitable,
            can_use_collection_point=p.can_use_collection_point,
        )
        pupil.needs = PupilNeedsRow(
            wheelchair=p.needs.wheelchair,
            needs_assistant=p.needs.needs_assistant,
            travel_alone=p.needs.travel_alone,
            vehicle_requirement=p.needs.vehicle_requirement.value,
            boarding_s=p.needs.boarding_s,
            max_ride_s=p.needs.max_ride_s,
        )
        session.add(pupil)
    session.flush()
    return row


def get_scenario_row(session: Session, scenario_id: int) -> ScenarioRow | None:
    return session.get(ScenarioRow, scenario_id)


def _school(r: SchoolRow) -> School:
    return School(
        school_id=r.school_id,
        name=r.name,
        lon=r.lon,
        lat=r.lat,
        kind=SchoolKind(r.kind),
        am_start_s=r.am_start_s,
        pm_end_s=r.pm_end_s,
        arrive_window_open_s=r.arrive_window_open_s,
        arrive_window_close_s=r.arrive_window_close_s,
        pm_max_wait_s=r.pm_max_wait_s,
        handover_s=r.handover_s,
        postcode=r.postcode,
        local_authority=r.local_authority,
    )


def _pupil(r: PupilRow) -> Pupil:
    n = r.needs
    return Pupil(
        pupil_id=r.pupil_id,
        school_id=r.school_id,
        lon=r.lon,
        lat=r.lat,
        year_group=r.year_group,
        first_name=r.first_name,
        last_name=r.last_name,
        postcode=r.postcode,
        date_of_birth=r.date_of_birth,
        needs=Needs(
            wheelchair=n.wheelchair,
            needs_assistant=n.needs_assistant,
            travel_alone=n.travel_alone,
            vehicle_requirement=VehicleRequirement(n.vehicle_requirement),
            boarding_s=n.boarding_s,
            max_ride_s=n.max_ride_s,
        ),
        sibling_group=r.sibling_group,
        attends_am=r.attends_am,
        attends_pm=r.attends_pm,
        cannot_walk_assessed=r.cannot_walk_assessed,
        is_low_income=r.is_low_income,
        has_unsafe_route=r.has_unsafe_route,
        can_use_public_transport=r.can_use_public_transport,
        travel_training_suitable=r.travel_training_suitable,
        can_use_collection_point=r.can_use_collection_point,
    )


def _vehicle_type(r: VehicleTypeRow) -> VehicleType:
    return VehicleType(
        name=r.name,
        category=VehicleCategory(r.category),
        capacity_seats=r.capacity_seats,
        max_wheelchair_places=r.max_wheelchair_places,
        seats_per_wheelchair_place=r.seats_per_wheelchair_place,
        num_available=r.num_available,
        day_rate_pence=r.day_rate_pence,
        cost_per_mile_pence=r.cost_per_mile_pence,
        max_shift_s=r.max_shift_s,
    )


def load_scenario(session: Session, scenario_id: int) -> tuple[ScenarioRow, Scenario] | None:
    """The stored scenario as a domain ``Scenario`` (re-validated), or None."""
    row = session.scalar(
        select(ScenarioRow)
        .where(ScenarioRow.id == scenario_id)
        .options(
            selectinload(ScenarioRow.schools),
            selectinload(ScenarioRow.vehicle_types),
            selectinload(ScenarioRow.pupils).joinedload(PupilRow.needs),
        )
    )
    if row is None:
        return None
    scenario = Scenario(
        name=row.name,
        schools=tuple(_school(s) for s in row.schools),
        pupils=tuple(_pupil(p) for p in row.pupils),
        vehicle_types=tuple(_vehicle_type(v) for v in row.vehicle_types),
        policy=from_jsonable(Policy, row.policy),
        incompatible_pairs=tuple(
            from_jsonable(IncompatiblePair, x) for x in row.incompatible_pairs
        ),
        current_routes=tuple(from_jsonable(CurrentRoute, x) for x in row.current_routes),
        network=from_jsonable(NetworkSource, row.network),
        collection_points=tuple(
            from_jsonable(CollectionPoint, x) for x in row.collection_points or ()
        ),
    )
    return row, scenario


def with_server_files(row: ScenarioRow, scenario: Scenario) -> tuple[Scenario, Path | None]:
    """The scenario and the folder its road and walk graphs are read from.

    Only a scenario loaded from a folder on the server (``source_dir``, e.g. by
    ``schoolrun serve``) may name graph files; an uploaded one is given no graphs, so a
    caller cannot make the service read files on the server by naming them in
    ``scenario.toml``. Without graphs, travel times use the approximate model and walking
    distances are indicative.
    """
    if row.source_dir:
        return scenario, Path(row.source_dir)
    network = scenario.network
    if network.drive_graph or network.walk_graph:
        scenario = replace(scenario, network=NetworkSource(description=network.description))
    return scenario, None


def delete_scenario(session: Session, scenario_id: int) -> bool:
    """Delete a scenario with its plans and jobs; False if there was none."""
    result = session.execute(delete(ScenarioRow).where(ScenarioRow.id == scenario_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]
