"""What the officer, finance and school features need from ``routing/``, for the handlers.

Each function reads what it needs from the database, calls the domain function in
``routing`` (eligibility, variants, reports) and returns plain data or text; handlers only
check access, audit and shape the response. ``None`` means "not found": the handler
answers with the one 404 it uses for both "does not exist" and "not yours".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import PlanRouteRow, PlanRow, PupilRow
from api.plan_store import get_plan, plan_from_row
from api.scenario_store import load_scenario, with_server_files
from routing.basemap import BaseLayer, base_layers
from routing.errors import InvalidScenarioError
from routing.model import Run, Scenario
from routing.route_table import RouteTableRow, route_table

# --------------------------------------------------------------------------- eligibility


def eligibility_decisions(
    session: Session, scenario_id: int, *, school_id: str | None = None, as_of: date | None = None
) -> list[Any] | None:
    """Every pupil's decision (``routing.pipeline.assess_source``), optionally of one
    school; None when the scenario does not exist.

    Walks are measured on the scenario's walk network when it was loaded from a folder
    that has one, else estimated and marked indicative.
    """
    from routing.pipeline import assess_source

    loaded = load_scenario(session, scenario_id)
    if loaded is None:
        return None
    scenario, source_dir = with_server_files(*loaded)
    decisions = list(assess_source(scenario, source_dir, as_of=as_of).decisions)
    if school_id is not None:
        decisions = [d for d in decisions if d.school_id == school_id]
    return decisions


def has_pupil(session: Session, scenario_id: int, pupil_id: str) -> bool:
    """Whether the scenario exists and has this pupil (one indexed lookup)."""
    found = session.scalar(
        select(PupilRow.id).where(
            PupilRow.scenario_id == scenario_id, PupilRow.pupil_id == pupil_id
        )
    )
    return found is not None


def eligibility_route(
    session: Session, scenario_id: int, pupil_id: str, *, as_of: date | None = None
) -> dict[str, Any] | None:
    """The walking route behind one pupil's decision as GeoJSON
    (``routing.eligibility.eligibility_route_geojson``); None if pupil or scenario is
    unknown."""
    from routing.eligibility import eligibility_route_geojson

    if not has_pupil(session, scenario_id, pupil_id):
        return None
    loaded = load_scenario(session, scenario_id)
    if loaded is None:
        return None
    scenario, source_dir = with_server_files(*loaded)
    route: dict[str, Any] = eligibility_route_geojson(scenario, source_dir, pupil_id, as_of=as_of)
    return route


# --------------------------------------------------------------------------- variants


def check_variants(scenario: Scenario, texts: Sequence[str]) -> None:
    """Parse every variant and apply it to ``scenario`` (no planning), so that a bad one
    is refused when submitted rather than failing the job later.

    Raises
    ------
    InvalidScenarioError
        Naming the variant and token: bad grammar, a reserved or repeated name, an
        unknown school, vehicle type or pupil, or a price-list file (not accepted here).
    """
    from routing.variants import apply_variant, parse_variants

    for variant in parse_variants(list(texts)):
        apply_variant(scenario, variant, base_dir=None, allow_price_files=False)


def scenario_of(session: Session, scenario_id: int) -> Scenario | None:
    """The stored scenario as a domain ``Scenario`` (graphs only for server folders)."""
    loaded = load_scenario(session, scenario_id)
    if loaded is None:
        return None
    scenario, _ = with_server_files(*loaded)
    return scenario


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class Document:
    """A rendered export: its text, media type and a safe file name."""

    text: str
    media_type: str
    filename: str
    num_rows: int


def _plan_and_scenario(session: Session, plan_id: int) -> tuple[PlanRow, Scenario] | None:
    plan = get_plan(session, plan_id)
    if plan is None:
        return None
    loaded = load_scenario(session, plan.scenario_id)
    if loaded is None:
        return None
    return plan, loaded[1]


def _file_part(text: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
    return safe.strip("_")[:60] or "x"


def pickup_list_document(
    session: Session, plan_id: int, school_id: str, run: Run, fmt: Literal["csv", "html"]
) -> Document | None:
    """A school's pickup list for one run of a plan as formula-safe CSV or escaped HTML
    (``routing.reports.school_pickup_list``); None when the plan does not exist or does
    not include the school."""
    from routing.reports import (
        school_pickup_list,
        school_pickup_list_csv,
        school_pickup_list_html,
    )

    school_ids = session.scalar(select(PlanRow.school_ids).where(PlanRow.id == plan_id))
    if school_ids is None or school_id not in school_ids:
        return None
    found = _plan_and_scenario(session, plan_id)
    if found is None:
        return None
    plan_row, scenario = found
    try:
        pickup_list = school_pickup_list(scenario, plan_from_row(plan_row), school_id, run)
    except InvalidScenarioError:
        return None  # the school left the scenario: nothing to show
    if fmt == "csv":
        text = school_pickup_list_csv(pickup_list)
        media_type = "text/csv; charset=utf-8"
    else:
        text = school_pickup_list_html(pickup_list)
        media_type = "text/html; charset=utf-8"
    filename = f"pickups-{_file_part(school_id)}-plan-{plan_id}-{run.value}.{fmt}"
    return Document(text, media_type, filename, len(pickup_list.rows))


def route_runs(session: Session, plan_id: int, route_id: str) -> list[str]:
    """The runs on which the plan has a route with this id (empty: no such route)."""
    return list(
        session.scalars(
            select(PlanRouteRow.run).where(
                PlanRouteRow.plan_id == plan_id, PlanRouteRow.route_id == route_id
            )
        )
    )


def route_sheet_document(
    session: Session, plan_id: int, route_id: str, run: Run
) -> Document | None:
    """The driver's and assistant's sheet for one route as escaped HTML
    (``routing.reports.route_sheet``: stops, times, postcodes, wheelchair and assistant
    notes, no diagnoses); None when the plan or route does not exist."""
    from routing.reports import route_sheet, route_sheet_html

    found = _plan_and_scenario(session, plan_id)
    if found is None:
        return None
    plan_row, scenario = found
    try:
        sheet = route_sheet(scenario, plan_from_row(plan_row), route_id, run)
    except InvalidScenarioError:
        return None
    filename = f"route-{_file_part(route_id)}-plan-{plan_id}-{run.value}.html"
    return Document(route_sheet_html(sheet), "text/html; charset=utf-8", filename, len(sheet.stops))


# --------------------------------------------------------------------------- modes


def plan_modes(
    session: Session, plan_id: int, *, cache_dir: Path | None, with_pupil_ids: bool
) -> dict[str, Any] | None:
    """Every way to school per pupil of a stored plan (``routing.modes``), as JSON data.

    ``with_pupil_ids`` False (finance) numbers the rows instead of naming the pupil: the
    costs and school stay, the pupil is not identified.
    """
    from routing.modes import MODE_WORDS, modes_rows, price_modes, switches_rows
    from routing.network import build_travel_matrix

    found = get_plan(session, plan_id)
    if found is None:
        return None
    loaded = load_scenario(session, found.scenario_id)
    if loaded is None:
        return None
    scenario, source_dir = with_server_files(*loaded)
    plan = plan_from_row(found)
    session.rollback()  # the domain work below needs no database
    matrix = build_travel_matrix(scenario, source_dir, cache_dir=cache_dir)
    report = price_modes(scenario, matrix, plan)
    rows = modes_rows(report)
    for k, row in enumerate(rows, start=1):
        if not with_pupil_ids:
            row["pupil_id"] = f"#{k}"
    counts: dict[str, int] = {}
    for r in report.pupils:
        counts[r.cheapest.value] = counts.get(r.cheapest.value, 0) + 1
    return {
        "plan_id": plan_id,
        "scenario_name": report.scenario_name,
        "school_days_per_year": report.school_days_per_year,
        "travel_model": report.travel_model,
        "mode_words": {m.value: w for m, w in MODE_WORDS.items()},
        "cheapest_counts": counts,
        "switches": switches_rows(report),
        "rows": rows,
        "notes": list(report.notes),
    }


# --------------------------------------------------------------------------- map


def plan_route_table(session: Session, plan_id: int) -> list[RouteTableRow] | None:
    """The officer's route table of a stored plan (``routing.route_table``); None when
    the plan does not exist."""
    found = get_plan(session, plan_id)
    if found is None:
        return None
    return list(route_table(plan_from_row(found)))


def scenario_base_layers(session: Session, scenario_id: int) -> list[BaseLayer] | None:
    """What the map draws under a scenario's routes without tiles
    (``routing.basemap.base_layers``: the boundary files and roads of a scenario loaded
    from a server folder; an uploaded scenario has none); None when it does not exist."""
    loaded = load_scenario(session, scenario_id)
    if loaded is None:
        return None
    scenario, source_dir = with_server_files(*loaded)
    session.rollback()  # reading files needs no database
    return base_layers(scenario, source_dir)
