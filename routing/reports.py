"""What a plan gives people: CSV and GeoJSON exports, school pickup lists, route sheets.

Everything here is a pure function of the domain ``Plan`` and ``Scenario`` (the writers
only add the file). Two rules hold throughout:

* **CSV cells are formula-safe.** A text cell starting with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return is prefixed with a single quote, as OWASP's "CSV Injection"
  advice says, so a spreadsheet shows it as text instead of running it. Numbers are
  written as numbers (a negative longitude stays a number).
* **HTML is escaped** (``html.escape`` on every value) and shows only what its reader
  needs. A school's pickup list shows, per pupil, first name and last initial, pickup
  time, arrival time, vehicle and whether an assistant is on board: nothing else. A route
  sheet adds, for the driver and assistant, the stops in order with times and postcodes,
  and only two boarding notes: wheelchair user, needs the passenger assistant. No
  diagnoses, no other needs, no pupil ids on either.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.clock import format_clock
from routing.collection_report import (
    WALKS_COLUMNS,
    WALKS_FILE,
    pickup_place_words,
    walk_cells,
    walks_rows,
)
from routing.errors import InvalidScenarioError, RoutingError
from routing.matrix import collection_point_location_id
from routing.model import METRES_PER_MILE, Plan, Pupil, Route, Run, Scenario, StopKind
from routing.plan_file import PLAN_FILE, write_plan_json

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

LonLat = tuple[float, float]
PathCoords = Callable[[Sequence[LonLat]], Sequence[Sequence[LonLat]]]
"""Road geometry of a route: its stops (lon, lat) in order -> one line per leg.

``functools.partial(network.drive_path_coords, graph)`` (see :func:`road_path_coords`).
A leg returned as just its two ends, or a raised ``RoutingError``, is drawn as a straight
segment and labelled so.
"""

ROUTES_COLUMNS = (
    "route_id",
    "run",
    "vehicle_type",
    "has_assistant",
    "pupils",
    "distance_m",
    "duration_s",
    "cost_gbp",
    "pupil_ids",
    "flags",
)
STOPS_COLUMNS = (
    "route_id",
    "run",
    "seq",
    "kind",
    "pupil_id",
    "school_id",
    "lon",
    "lat",
    "arrival_time",
    "service_start_time",
    "departure_time",
    "flag",
    "collection_point_id",
    "walk_m",
)
UNASSIGNED_COLUMNS = ("pupil_id", "run", "reason", "code")
PICKUP_LIST_COLUMNS = (
    "pupil",
    "pickup_time",
    "arrival_time",
    "vehicle",
    "assistant",
    "pickup_place",
)


# --------------------------------------------------------------------------- CSV


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula.

    Parameters
    ----------
    value
        Any cell value. Text starting with ``= + - @``, a tab or a carriage return gets a
        leading single quote; booleans become ``true``/``false``; None becomes empty;
        numbers are returned unchanged.

    Returns
    -------
    object
        The value to hand to ``csv.writer``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text (header + rows, ``\\r\\n`` line ends) with every cell made formula-safe.

    Parameters
    ----------
    columns
        Column names, in order; each row is read by these keys (missing keys are empty).
    rows
        The rows.

    Returns
    -------
    str
        The CSV document.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> Path:
    """Write a formula-safe CSV file (UTF-8, see :func:`csv_text`) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(columns, rows), encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- plan files


def flag_messages(plan: Plan) -> dict[tuple[Run, str], str]:
    """(run, pupil_id) -> what an officer must look at (``Plan.flags``), joined by "; "."""
    out: dict[tuple[Run, str], str] = {}
    for flag in plan.flags:
        key = (flag.run, flag.pupil_id)
        out[key] = f"{out[key]}; {flag.message}" if key in out else flag.message
    return out


def routes_rows(plan: Plan) -> list[dict[str, object]]:
    """One row per route for ``routes.csv`` (``pupils`` is the number carried).

    ``flags`` lists the route's flagged pupils as ``P0042: message`` joined by " | ".
    """
    flags = flag_messages(plan)
    rows: list[dict[str, object]] = []
    for route in plan.routes:
        pupil_ids = route.pupil_ids()
        flagged = [
            f"{pid}: {flags[(route.run, pid)]}" for pid in pupil_ids if (route.run, pid) in flags
        ]
        rows.append(
            {
                "route_id": route.route_id,
                "run": route.run.value,
                "vehicle_type": route.vehicle_type,
                "has_assistant": route.has_assistant,
                "pupils": len(pupil_ids),
                "distance_m": route.distance_m,
                "duration_s": route.duration_s,
                "cost_gbp": round(route.cost_pence / 100, 2),
                "pupil_ids": ";".join(pupil_ids),
                "flags": " | ".join(flagged),
            }
        )
    return rows


def stops_rows(plan: Plan, scenario: Scenario | None = None) -> list[dict[str, object]]:
    """One row per pupil per stop for ``stops.csv``; ``seq`` counts stops from 1.

    Siblings boarding at one stop share its ``seq``. ``school_id`` is the stop's school,
    else (with a scenario) the pupil's school. At a collection point's stop,
    ``collection_point_id`` names the point and ``walk_m`` the pupil's walk from home.
    """
    pupils = scenario.pupils_by_id() if scenario is not None else {}
    flags = flag_messages(plan)
    walks = {w.pupil_id: w for w in plan.walks}
    rows: list[dict[str, object]] = []
    for route in plan.routes:
        for seq, stop in enumerate(route.stops, start=1):
            for pupil_id in stop.pupil_ids:
                pupil = pupils.get(pupil_id)
                school_id = stop.school_id or (pupil.school_id if pupil is not None else "")
                rows.append(
                    {
                        "route_id": route.route_id,
                        "run": route.run.value,
                        "seq": seq,
                        "kind": stop.kind.value,
                        "pupil_id": pupil_id,
                        "school_id": school_id,
                        "lon": stop.lon,
                        "lat": stop.lat,
                        "arrival_time": format_clock(stop.arrival_s, show_seconds="always"),
                        "service_start_time": format_clock(
                            stop.service_start_s, show_seconds="always"
                        ),
                        "departure_time": format_clock(stop.departure_s, show_seconds="always"),
                        "flag": flags.get((route.run, pupil_id), ""),
                        **walk_cells(stop.location_id, walks.get(pupil_id)),
                    }
                )
    return rows


def unassigned_rows(plan: Plan) -> list[dict[str, object]]:
    """One row per pupil and run the plan does not carry, with the reason."""
    return [
        {"pupil_id": u.pupil_id, "run": u.run.value, "reason": u.reason, "code": u.code}
        for u in plan.unassigned
    ]


def write_routes_csv(plan: Plan, path: Path) -> Path:
    """Write ``routes.csv``: route_id, run, vehicle_type, has_assistant, pupils, ..."""
    return write_csv(path, ROUTES_COLUMNS, routes_rows(plan))


def write_stops_csv(plan: Plan, path: Path, scenario: Scenario | None = None) -> Path:
    """Write ``stops.csv``: route_id, run, seq, kind, pupil_id, school_id, lon, lat, times."""
    return write_csv(path, STOPS_COLUMNS, stops_rows(plan, scenario))


def write_unassigned_csv(plan: Plan, path: Path) -> Path:
    """Write ``unassigned.csv``: pupil_id, run, reason, code."""
    return write_csv(path, UNASSIGNED_COLUMNS, unassigned_rows(plan))


def write_summary_json(summary: Mapping[str, Any], path: Path) -> Path:
    """Write a summary dict as indented UTF-8 JSON (NaN and infinity are refused).

    Raises
    ------
    ValueError
        If the summary holds NaN or infinity (JSON cannot).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- GeoJSON


def _route_line(route: Route, path_coords: PathCoords | None) -> tuple[list[list[float]], str]:
    points: list[LonLat] = []
    for stop in route.stops:  # siblings' stops and a school's drop-offs share a point
        if not points or points[-1] != (stop.lon, stop.lat):
            points.append((stop.lon, stop.lat))
    legs: Sequence[Sequence[LonLat]] = ()
    if path_coords is not None and len(points) >= 2:
        try:
            legs = path_coords(points)
        except (RoutingError, ValueError, KeyError) as err:
            logger.warning("no road geometry for route %s: %s", route.route_id, err)
            legs = ()
        if len(legs) != len(points) - 1:
            legs = ()
    line: list[list[float]] = []

    def add(point: Sequence[float]) -> None:
        if not line or line[-1] != [float(point[0]), float(point[1])]:
            line.append([float(point[0]), float(point[1])])

    if points:
        add(points[0])
    legs_road = 0
    for k, end in enumerate(points[1:]):
        leg = legs[k] if legs else ()
        if len(leg) > 2:
            legs_road += 1
            for point in leg:
                add(point)
        add(end)  # a road path ends at the graph; finish at the stop itself
    num_legs = len(points) - 1
    if num_legs > 0 and legs_road == num_legs:
        kind = "road"
    elif legs_road:
        kind = "partly_road"
    else:
        kind = "straight"
    return line, kind


def road_path_coords(scenario: Scenario, scenario_dir: Path | None) -> PathCoords | None:
    """Road geometry for the scenario's routes from its drive graph; None if it has none.

    Raises
    ------
    NetworkUnavailableError
        If the scenario names a drive graph that cannot be read.
    """
    if not scenario.network.drive_graph:
        return None
    from routing import network  # osmnx is heavy: load it only when there are roads

    graph_path = network.resolve_graph_path(scenario.network.drive_graph, scenario_dir)
    graph = network.load_road_graph(graph_path, network_type="drive")
    return functools.partial(network.drive_path_coords, graph)


def routes_geojson(
    plan: Plan,
    *,
    path_coords: PathCoords | None = None,
    include_stops: bool = True,
) -> dict[str, Any]:
    """The plan's routes as a GeoJSON FeatureCollection (lon, lat; EPSG:4326).

    Each route is a LineString through its stops with ``geometry_kind`` ``"straight"``
    (straight segments between stops: draw them differently), ``"road"`` (every leg
    follows the drive graph) or ``"partly_road"``. With ``include_stops`` each stop is a
    Point with its route, order, kind, school and times.

    Parameters
    ----------
    plan
        The plan.
    path_coords
        Road geometry of a route (see :data:`PathCoords`); None draws straight segments.
    include_stops
        Add a Point feature per stop.

    Returns
    -------
    dict
        The FeatureCollection; its ``properties`` carry the plan's travel model.
    """
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        line, kind = _route_line(route, path_coords)
        pupil_ids = route.pupil_ids()
        school_ids = sorted({s.school_id for s in route.stops if s.school_id})
        properties = {
            "feature": "route",
            "route_id": route.route_id,
            "run": route.run.value,
            "vehicle_type": route.vehicle_type,
            "has_assistant": route.has_assistant,
            "pupils": len(pupil_ids),
            "school_ids": school_ids,
            "distance_m": route.distance_m,
            "duration_s": route.duration_s,
            "cost_gbp": round(route.cost_pence / 100, 2),
            "geometry_kind": kind,
        }
        geometry: dict[str, Any] = (
            {"type": "LineString", "coordinates": line}
            if len(line) >= 2
            else {"type": "Point", "coordinates": line[0] if line else [0.0, 0.0]}
        )
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        if not include_stops:
            continue
        for seq, stop in enumerate(route.stops, start=1):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
                    "properties": {
                        "feature": "stop",
                        "route_id": route.route_id,
                        "run": route.run.value,
                        "seq": seq,
                        "kind": stop.kind.value,
                        "school_id": stop.school_id,
                        "pupil_ids": list(stop.pupil_ids),
                        "arrival_time": format_clock(stop.arrival_s, show_seconds="always"),
                        "service_start_time": format_clock(
                            stop.service_start_s, show_seconds="always"
                        ),
                        "departure_time": format_clock(stop.departure_s, show_seconds="always"),
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "properties": {"scenario": plan.scenario_name, "travel_model": plan.travel_model},
        "features": features,
    }


def write_routes_geojson(plan: Plan, path: Path, *, path_coords: PathCoords | None = None) -> Path:
    """Write ``routes.geojson`` (see :func:`routes_geojson`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    collection = routes_geojson(plan, path_coords=path_coords)
    path.write_text(json.dumps(collection, allow_nan=False) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- people


def display_name(pupil: Pupil) -> str:
    """First name and initial of the last name (``"Amira K."``); the id if no name."""
    first = pupil.first_name.strip()
    last = pupil.last_name.strip()
    if not first and not last:
        return pupil.pupil_id
    initial = f" {last[0].upper()}." if last else ""
    return f"{first}{initial}".strip()


def _vehicle_words(route: Route) -> str:
    return f"{route.route_id} ({route.vehicle_type})"


@dataclass(frozen=True, slots=True)
class PickupListRow:
    """One pupil on a school's list: the only five things a school is shown.

    ``pickup_time``/``arrival_time`` are ``HH:MM`` (AM: picked up at home, arrives at
    school; PM: collected at school, arrives home); empty with ``vehicle`` saying so when
    the pupil has no transport on this run yet.
    """

    pupil: str
    pickup_time: str
    arrival_time: str
    vehicle: str
    assistant: str  # "yes" / "no" / ""
    pickup_place: str = "home"  # or the collection point's name and the walk to it


@dataclass(frozen=True, slots=True)
class SchoolPickupList:
    """A school's pupils on one run, sorted by pickup time."""

    school_id: str
    school_name: str
    run: Run
    rows: tuple[PickupListRow, ...]
    travel_model: str


def school_pickup_list(
    scenario: Scenario, plan: Plan, school_id: str, run: Run
) -> SchoolPickupList:
    """The pickup list of one school for one run.

    Parameters
    ----------
    scenario
        The scenario (for names and the school).
    plan
        The plan.
    school_id
        The school.
    run
        AM or PM.

    Returns
    -------
    SchoolPickupList
        One row per pupil of the school who attends this run; pupils the plan does not
        carry are listed as "no transport arranged yet" (without the reason).

    Raises
    ------
    InvalidScenarioError
        If the school is not in the scenario.
    """
    school = scenario.school(school_id)
    pupils = scenario.pupils_by_id()
    places = pickup_place_words(plan, scenario)
    rows: list[tuple[int, str, PickupListRow]] = []
    carried: set[str] = set()
    for route in plan.routes_for(run):
        picked: dict[str, int] = {}
        for stop in route.stops:
            for pid in stop.pupil_ids:
                pupil = pupils.get(pid)
                if pupil is None or pupil.school_id != school_id:
                    continue
                if stop.kind is StopKind.PICKUP:
                    picked[pid] = stop.service_start_s
                elif pid in picked:
                    carried.add(pid)
                    name = display_name(pupil)
                    rows.append(
                        (
                            picked[pid],
                            name,
                            PickupListRow(
                                pupil=name,
                                pickup_time=format_clock(picked[pid]),
                                arrival_time=format_clock(stop.service_start_s),
                                vehicle=_vehicle_words(route),
                                assistant="yes" if route.has_assistant else "no",
                                pickup_place=places.get(pid, "home"),
                            ),
                        )
                    )
    for pupil in scenario.pupils:
        if pupil.school_id != school_id or pupil.pupil_id in carried or run not in pupil.runs():
            continue
        name = display_name(pupil)
        rows.append(
            (
                24 * 3600,
                name,
                PickupListRow(
                    pupil=name,
                    pickup_time="",
                    arrival_time="",
                    vehicle="no transport arranged yet",
                    assistant="",
                    pickup_place="",
                ),
            )
        )
    rows.sort(key=lambda item: (item[0], item[1]))
    return SchoolPickupList(
        school_id=school.school_id,
        school_name=school.name,
        run=run,
        rows=tuple(row for _, _, row in rows),
        travel_model=plan.travel_model,
    )


def school_pickup_list_csv(pickup_list: SchoolPickupList) -> str:
    """The list as formula-safe CSV: pupil, pickup_time, arrival_time, vehicle, assistant,
    pickup_place ("home" or the collection point and the walk)."""
    return csv_text(
        PICKUP_LIST_COLUMNS,
        (
            {
                "pupil": r.pupil,
                "pickup_time": r.pickup_time,
                "arrival_time": r.arrival_time,
                "vehicle": r.vehicle,
                "assistant": r.assistant,
                "pickup_place": r.pickup_place,
            }
            for r in pickup_list.rows
        ),
    )


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; }
p.meta { margin-top: 0; color: #444; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.note { font-weight: bold; }
footer { margin-top: 1em; font-size: 0.85em; color: #444; }
@media print { body { margin: 0; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], note_col: int = -1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body_rows = []
    for row in rows:
        cells = "".join(
            f'<td class="note">{_e(c)}</td>' if i == note_col and c else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        body_rows.append(f"<tr>{cells}</tr>")
    return (
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body_rows)
        + "\n</tbody>\n</table>"
    )


def _run_words(run: Run) -> str:
    return "morning (home to school)" if run is Run.AM else "afternoon (school to home)"


def school_pickup_list_html(pickup_list: SchoolPickupList) -> str:
    """The list as a printable HTML page (every value escaped)."""
    run = pickup_list.run
    pickup_header = "Picked up" if run is Run.AM else "Leaves school"
    arrival_header = "Arrives at school" if run is Run.AM else "Arrives"
    place_header = "Picked up at" if run is Run.AM else "Set down at"
    title = f"{pickup_list.school_name}: {run.value} pickup list"
    table = _table(
        ("Pupil", pickup_header, arrival_header, "Vehicle", "Assistant", place_header),
        (
            (r.pupil, r.pickup_time, r.arrival_time, r.vehicle, r.assistant, r.pickup_place)
            for r in pickup_list.rows
        ),
    )
    body = (
        f"<h1>{_e(title)}</h1>\n"
        f'<p class="meta">{_e(_run_words(run))}, {len(pickup_list.rows)} pupils.</p>\n'
        f"{table}\n"
        f"<footer>Times planned with: {_e(pickup_list.travel_model)}.</footer>"
    )
    return _page(title, body)


# --------------------------------------------------------------------------- route sheets


@dataclass(frozen=True, slots=True)
class RouteSheetStop:
    """One stop on a driver's sheet: order, time, what happens, who, where, notes."""

    seq: int
    time: str  # HH:MM the vehicle is due
    action: str  # "Pick up" / "Drop off"
    pupils: str  # first names and initials
    place: str  # postcode, or school name and postcode
    notes: str  # "wheelchair user", "needs the passenger assistant", or ""


@dataclass(frozen=True, slots=True)
class RouteSheet:
    """A route for its driver and passenger assistant."""

    route_id: str
    run: Run
    vehicle_type: str
    has_assistant: bool
    num_pupils: int
    distance_miles: float
    duration_min: int
    stops: tuple[RouteSheetStop, ...]
    travel_model: str


def _boarding_notes(pupils: Sequence[Pupil]) -> str:
    notes: list[str] = []
    for pupil in pupils:
        own: list[str] = []
        if pupil.needs.wheelchair:
            own.append("wheelchair user")
        if pupil.needs.needs_assistant:
            own.append("needs the passenger assistant")
        if own:
            prefix = f"{display_name(pupil)}: " if len(pupils) > 1 else ""
            notes.append(prefix + ", ".join(own))
        # Nothing else: no diagnoses and no other needs go on a driver's sheet.
    return "; ".join(notes)


def _find_route(plan: Plan, route_id: str, run: Run | None) -> Route:
    matches = [r for r in plan.routes if r.route_id == route_id and (run is None or r.run is run)]
    if len(matches) != 1:
        which = f"'{route_id}'" + (f" on run {run.value}" if run is not None else "")
        problem = "is not in the plan" if not matches else "is ambiguous: give the run"
        msg = f"Route {which} {problem}."
        raise InvalidScenarioError(msg)
    return matches[0]


def route_sheet(
    scenario: Scenario, plan: Plan, route_id: str, run: Run | None = None
) -> RouteSheet:
    """The driver's and assistant's sheet for one route.

    Parameters
    ----------
    scenario
        The scenario (names, postcodes, schools).
    plan
        The plan holding the route.
    route_id
        The route.
    run
        The route's run, if route ids repeat across runs.

    Returns
    -------
    RouteSheet
        Stops in order with times, postcodes and the two boarding notes that matter on
        the day (wheelchair, passenger assistant).

    Raises
    ------
    InvalidScenarioError
        If the route is not in the plan (or is ambiguous without ``run``).
    """
    route = _find_route(plan, route_id, run)
    pupils = scenario.pupils_by_id()
    schools = scenario.schools_by_id()
    points = {collection_point_location_id(c.point_id): c.name for c in scenario.collection_points}
    stops: list[RouteSheetStop] = []
    for seq, stop in enumerate(route.stops, start=1):
        on_stop = [pupils[pid] for pid in stop.pupil_ids if pid in pupils]
        school = schools.get(stop.school_id) if stop.school_id else None
        at_school = school is not None and (
            (route.run is Run.AM and stop.kind is StopKind.DROPOFF)
            or (route.run is Run.PM and stop.kind is StopKind.PICKUP)
        )
        if at_school and school is not None:
            place = f"{school.name}, {school.postcode}".strip(", ")
        elif stop.location_id in points:
            place = f"collection point: {points[stop.location_id]}"
        else:
            postcodes = sorted({p.postcode for p in on_stop if p.postcode})
            place = (
                ", ".join(postcodes)
                if postcodes
                else f"no postcode recorded (lat {stop.lat:.5f}, lon {stop.lon:.5f})"
            )
        stops.append(
            RouteSheetStop(
                seq=seq,
                time=format_clock(stop.service_start_s),
                action="Pick up" if stop.kind is StopKind.PICKUP else "Drop off",
                pupils=", ".join(display_name(p) for p in on_stop),
                place=place,
                notes=_boarding_notes(on_stop),
            )
        )
    return RouteSheet(
        route_id=route.route_id,
        run=route.run,
        vehicle_type=route.vehicle_type,
        has_assistant=route.has_assistant,
        num_pupils=len(route.pupil_ids()),
        distance_miles=round(route.distance_m / METRES_PER_MILE, 1),
        duration_min=math.ceil(route.duration_s / 60),
        stops=tuple(stops),
        travel_model=plan.travel_model,
    )


def route_sheet_html(sheet: RouteSheet) -> str:
    """The route sheet as a printable HTML page (every value escaped)."""
    title = f"Route {sheet.route_id} ({sheet.run.value})"
    assistant = "yes" if sheet.has_assistant else "no"
    meta = (
        f"{_run_words(sheet.run)}; vehicle: {sheet.vehicle_type}; passenger assistant on "
        f"board: {assistant}; {sheet.num_pupils} pupils; {sheet.distance_miles:g} miles, "
        f"about {sheet.duration_min} minutes."
    )
    table = _table(
        ("#", "Time", "", "Pupil(s)", "Where", "Boarding notes"),
        ((str(s.seq), s.time, s.action, s.pupils, s.place, s.notes) for s in sheet.stops),
        note_col=5,
    )
    body = (
        f'<h1>{_e(title)}</h1>\n<p class="meta">{_e(meta)}</p>\n{table}\n'
        f"<footer>Times planned with: {_e(sheet.travel_model)}. This sheet holds pupils' "
        "names: keep it with you on the route and destroy it at the end of term.</footer>"
    )
    return _page(title, body)


# --------------------------------------------------------------------------- writers


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _file_part(text: str) -> str:
    return _UNSAFE_FILENAME.sub("_", text).strip("._") or "x"


def write_school_lists(scenario: Scenario, plan: Plan, out_dir: Path) -> list[Path]:
    """Write every school's AM and PM pickup list as HTML and CSV under ``out_dir``.

    Files are ``school_<school_id>_<run>.html`` and ``.csv``, for each school with at
    least one pupil on that run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    runs = {r.run for r in plan.routes} | {u.run for u in plan.unassigned}
    for school in scenario.schools:
        for run in (Run.AM, Run.PM):
            if run not in runs:
                continue
            pickup_list = school_pickup_list(scenario, plan, school.school_id, run)
            if not pickup_list.rows:
                continue
            stem = f"school_{_file_part(school.school_id)}_{run.value}"
            html_path = out_dir / f"{stem}.html"
            html_path.write_text(school_pickup_list_html(pickup_list), encoding="utf-8")
            csv_path = out_dir / f"{stem}.csv"
            csv_path.write_text(school_pickup_list_csv(pickup_list), encoding="utf-8", newline="")
            written += [html_path, csv_path]
    return written


def write_route_sheets(scenario: Scenario, plan: Plan, out_dir: Path) -> list[Path]:
    """Write one HTML route sheet per route: ``route_<run>_<route_id>.html``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for route in plan.routes:
        sheet = route_sheet(scenario, plan, route.route_id, route.run)
        path = out_dir / f"route_{route.run.value}_{_file_part(route.route_id)}.html"
        path.write_text(route_sheet_html(sheet), encoding="utf-8")
        written.append(path)
    return written


def write_plan_files(
    scenario: Scenario,
    plan: Plan,
    out_dir: Path,
    *,
    path_coords: PathCoords | None = None,
    with_sheets: bool = True,
) -> list[Path]:
    """Write routes.csv, stops.csv, unassigned.csv, routes.geojson, plan.json, walks.csv
    (when pupils walk to collection points) and the pages.

    Parameters
    ----------
    scenario
        The scenario.
    plan
        The checked plan.
    out_dir
        Output folder (created). School lists go to ``out_dir/schools/`` and route sheets
        to ``out_dir/route_sheets/`` when ``with_sheets``.
    path_coords
        Road geometry for ``routes.geojson`` (see :data:`PathCoords`,
        :func:`road_path_coords`).
    with_sheets
        Also write school pickup lists and route sheets.

    Returns
    -------
    list of Path
        The files written (summary.json is the caller's: see :func:`write_summary_json`).
    """
    written = [
        write_routes_csv(plan, out_dir / "routes.csv"),
        write_stops_csv(plan, out_dir / "stops.csv", scenario),
        write_unassigned_csv(plan, out_dir / "unassigned.csv"),
        write_routes_geojson(plan, out_dir / "routes.geojson", path_coords=path_coords),
        write_plan_json(plan, out_dir / PLAN_FILE, scenario),
    ]
    if plan.walks:
        written.append(write_csv(out_dir / WALKS_FILE, WALKS_COLUMNS, walks_rows(plan, scenario)))
    if with_sheets:
        written += write_school_lists(scenario, plan, out_dir / "schools")
        written += write_route_sheets(scenario, plan, out_dir / "route_sheets")
    return written
