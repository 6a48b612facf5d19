"""The per-file validators: each CSV's rows into the dataclasses of routing.model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from routing.dataset.cells import (
    _T,
    Issues,
    Row,
    check_coordinates,
    is_duplicate,
    locate,
    normalise_postcode,
    parse_bool,
    parse_date,
    read_csv,
    year_group_from_dob,
)
from routing.dataset.columns import (
    COLLECTION_POINT_COLUMNS,
    COLLECTION_POINTS_FILE,
    CURRENT_ROUTE_COLUMNS,
    CURRENT_ROUTES_FILE,
    INCOMPATIBLE_COLUMNS,
    INCOMPATIBLE_FILE,
    POSTCODE_COLUMNS,
    POSTCODES_FILE,
    PUPIL_COLUMNS,
    PUPILS_FILE,
    SCHOOL_COLUMNS,
    SCHOOLS_FILE,
    SEPARATOR_PUPIL_IDS,
    VEHICLE_TYPE_COLUMNS,
    VEHICLE_TYPES_FILE,
    YEAR_GROUP_RANGE,
)
from routing.errors import InvalidScenarioError
from routing.model import (
    CollectionPoint,
    CurrentRoute,
    IncompatiblePair,
    Needs,
    Policy,
    Pupil,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)


def parse_postcodes(text: str | None, issues: Issues) -> dict[str, tuple[float, float]]:
    rows = read_csv(text, POSTCODES_FILE, POSTCODE_COLUMNS, issues)
    found: dict[str, tuple[float, float]] = {}
    seen: dict[str, int] = {}
    for row in rows or ():
        postcode = normalise_postcode(row.text("postcode", required=True))
        if not postcode:
            continue
        if postcode in seen:
            row.problem(
                "postcode", f"Duplicate postcode {postcode!r} (first on row {seen[postcode]})."
            )
            continue
        seen[postcode] = row.row
        lon = row.number("lon", required=True)
        lat = row.number("lat", required=True)
        if lon is not None and lat is not None and check_coordinates(row, lon, lat):
            found[postcode] = (lon, lat)
    return found


def parse_collection_points(text: str | None, issues: Issues) -> list[CollectionPoint]:
    """Collection points (optional file): a real place's id, name and lon/lat each."""
    rows = read_csv(text, COLLECTION_POINTS_FILE, COLLECTION_POINT_COLUMNS, issues)
    points: list[CollectionPoint] = []
    seen: dict[str, int] = {}
    for row in rows or ():
        point_id = row.text("point_id", required=True)
        duplicate = bool(point_id) and is_duplicate(row, "point_id", seen)
        name = row.text("name", required=True)
        lon = row.number("lon", required=True)
        lat = row.number("lat", required=True)
        if lon is None or lat is None or not check_coordinates(row, lon, lat):
            continue
        if duplicate or not point_id or not name:
            continue
        point = construct(
            row, "point_id", CollectionPoint, point_id=point_id, name=name, lon=lon, lat=lat
        )
        if point is not None:
            points.append(point)
    return points


def parse_schools(
    text: str | None, postcodes: Mapping[str, tuple[float, float]], issues: Issues
) -> tuple[list[School], set[str] | None]:
    """Schools, and every school_id seen (None when the file is missing or unusable)."""
    rows = read_csv(text, SCHOOLS_FILE, SCHOOL_COLUMNS, issues, one_of=(("lon", "postcode"),))
    if rows is None:
        return [], None
    schools: list[School] = []
    seen: dict[str, int] = {}
    defaults = School("x", "x", 0.0, 51.0, SchoolKind.SPECIAL, 1, 2)
    for row in rows:
        school_id = row.text("school_id", required=True)
        duplicate = bool(school_id) and is_duplicate(row, "school_id", seen)
        name = row.text("name", required=True)
        kind = row.enum("kind", SchoolKind)
        location = locate(row, postcodes)
        am_start_s = row.hhmm("am_start_hhmm")
        pm_end_s = row.hhmm("pm_end_hhmm")
        if am_start_s is not None and pm_end_s is not None and pm_end_s <= am_start_s:
            row.problem(
                "pm_end_hhmm",
                f"pm_end_hhmm {row.raw('pm_end_hhmm')} must be after am_start_hhmm "
                f"{row.raw('am_start_hhmm')}.",
            )
            pm_end_s = None
        open_s = row.seconds_from_minutes(
            "arrive_window_open_min", default=defaults.arrive_window_open_s, positive=False
        )
        close_s = row.seconds_from_minutes(
            "arrive_window_close_min", default=defaults.arrive_window_close_s, positive=False
        )
        if open_s is not None and close_s is not None and close_s > open_s:
            row.problem(
                "arrive_window_close_min",
                f"arrive_window_close_min {close_s / 60:g} must not exceed "
                f"arrive_window_open_min {open_s / 60:g} (both are minutes before the bell).",
                value=row.raw("arrive_window_close_min") or f"{close_s / 60:g}",
            )
            close_s = None
        wait_s = row.seconds_from_minutes(
            "pm_max_wait_min", default=defaults.pm_max_wait_s, positive=False
        )
        handover_s = row.integer("handover_s", default=defaults.handover_s, min_value=0)
        values = (kind, location, am_start_s, pm_end_s, open_s, close_s, wait_s, handover_s)
        if duplicate or not school_id or not name or any(v is None for v in values):
            continue
        assert kind is not None and location is not None  # for mypy; checked just above
        assert am_start_s is not None and pm_end_s is not None
        assert open_s is not None and close_s is not None and wait_s is not None
        assert handover_s is not None
        school = construct(
            row,
            "school_id",
            School,
            school_id=school_id,
            name=name,
            lon=location[0],
            lat=location[1],
            kind=kind,
            am_start_s=am_start_s,
            pm_end_s=pm_end_s,
            arrive_window_open_s=open_s,
            arrive_window_close_s=close_s,
            pm_max_wait_s=wait_s,
            handover_s=handover_s,
            postcode=normalise_postcode(row.raw("postcode")) if row.raw("postcode") else "",
            local_authority=row.raw("local_authority"),
        )
        if school is not None:
            schools.append(school)
    return schools, set(seen)


def parse_vehicle_types(
    text: str | None, issues: Issues
) -> tuple[list[VehicleType], set[str] | None]:
    """Vehicle types, and every name seen (None when the file is missing or unusable)."""
    rows = read_csv(text, VEHICLE_TYPES_FILE, VEHICLE_TYPE_COLUMNS, issues)
    if rows is None:
        return [], None
    vehicle_types: list[VehicleType] = []
    seen: dict[str, int] = {}
    for row in rows:
        name = row.text("name", required=True)
        duplicate = bool(name) and is_duplicate(row, "name", seen)
        category = row.enum("category", VehicleCategory)
        seats = row.integer("capacity_seats", required=True, min_value=1)
        places = row.integer("max_wheelchair_places", default=0, min_value=0)
        per_place = row.integer("seats_per_wheelchair_place", default=0, min_value=0)
        available = row.integer("num_available", min_value=0)
        day_rate = row.pence("day_rate_gbp", required=True)
        per_mile = row.pence("cost_per_mile_gbp", required=True)
        shift_s = row.seconds_from_minutes("max_shift_min", default=4 * 3600, positive=True)
        if seats is not None and places is not None and places > seats:
            row.problem(
                "max_wheelchair_places",
                f"max_wheelchair_places {places} must not exceed capacity_seats {seats}.",
            )
            places = None
        if (
            seats is not None
            and places is not None
            and per_place is not None
            and seats - places * per_place < 0
        ):
            row.problem(
                "max_wheelchair_places",
                f"{places} wheelchair places x {per_place} seats each need more than the "
                f"{seats} capacity_seats.",
            )
            places = None
        required_values = (category, seats, places, per_place, day_rate, per_mile, shift_s)
        if (
            duplicate
            or not name
            or any(v is None for v in required_values)
            or (row.raw("num_available") and available is None)
        ):
            continue
        assert category is not None and seats is not None and places is not None
        assert per_place is not None and day_rate is not None and per_mile is not None
        assert shift_s is not None
        vehicle = construct(
            row,
            "name",
            VehicleType,
            name=name,
            category=category,
            capacity_seats=seats,
            max_wheelchair_places=places,
            seats_per_wheelchair_place=per_place,
            num_available=available,
            day_rate_pence=day_rate,
            cost_per_mile_pence=per_mile,
            max_shift_s=shift_s,
        )
        if vehicle is not None:
            vehicle_types.append(vehicle)
    return vehicle_types, set(seen)


def parse_pupils(
    text: str | None,
    policy: Policy,
    academic_year: int,
    school_ids: set[str] | None,
    postcodes: Mapping[str, tuple[float, float]],
    issues: Issues,
) -> tuple[list[Pupil], set[str] | None]:
    """Pupils, and every pupil_id seen (None when the file is missing or unusable)."""
    rows = read_csv(
        text,
        PUPILS_FILE,
        PUPIL_COLUMNS,
        issues,
        one_of=(("postcode", "lon"), ("year_group", "date_of_birth")),
    )
    if rows is None:
        return [], None
    pupils: list[Pupil] = []
    seen: dict[str, int] = {}
    for row in rows:
        issues_before = len(issues.items)
        pupil_id = row.text("pupil_id", required=True)
        if pupil_id:
            is_duplicate(row, "pupil_id", seen)
        school_id = row.text("school_id", required=True)
        if school_id and school_ids is not None and school_id not in school_ids:
            row.problem("school_id", f"Unknown school_id {school_id!r} (not in schools.csv).")
            school_id = ""
        location = locate(row, postcodes)
        dob = row.parse("date_of_birth", parse_date, "a date YYYY-MM-DD (or DD/MM/YYYY)")
        year_group = row.integer(
            "year_group", min_value=YEAR_GROUP_RANGE[0], max_value=YEAR_GROUP_RANGE[1]
        )
        if year_group is None and not row.raw("year_group"):
            if dob is not None:
                year_group = year_group_from_dob(dob, academic_year)
                if not YEAR_GROUP_RANGE[0] <= year_group <= YEAR_GROUP_RANGE[1]:
                    row.problem(
                        "date_of_birth",
                        f"date_of_birth {dob.isoformat()} gives year group {year_group} in "
                        f"{academic_year}/{academic_year + 1}, outside "
                        f"{YEAR_GROUP_RANGE[0]}..{YEAR_GROUP_RANGE[1]} (ages 3-24).",
                    )
                    year_group = None
            elif not row.raw("date_of_birth"):
                row.problem("year_group", "Neither year_group nor date_of_birth is given.")
        wheelchair = row.boolean("wheelchair", default=False)
        requirement = row.enum(
            "vehicle_requirement", VehicleRequirement, default=VehicleRequirement.NONE
        )
        default_boarding = (
            policy.default_wheelchair_boarding_s if wheelchair else policy.default_boarding_s
        )
        boarding_s = row.integer("boarding_s", default=default_boarding, min_value=0)
        max_ride_s = row.seconds_from_minutes("max_ride_min", positive=True)
        bad_max_ride = bool(row.raw("max_ride_min")) and max_ride_s is None
        flags = {
            name: row.boolean(name, default=default)
            for name, default in (
                ("needs_assistant", False),
                ("travel_alone", False),
                ("attends_am", True),
                ("attends_pm", True),
                ("cannot_walk_assessed", True),
                ("is_low_income", False),
                ("has_unsafe_route", False),
                ("can_use_public_transport", False),
                ("travel_training_suitable", False),
                ("can_use_collection_point", False),
            )
        }
        if (
            len(issues.items) > issues_before
            or not school_id
            or location is None
            or year_group is None
            or requirement is None
            or boarding_s is None
            or bad_max_ride
        ):
            continue
        needs = Needs(
            wheelchair=wheelchair,
            needs_assistant=flags["needs_assistant"],
            travel_alone=flags["travel_alone"],
            vehicle_requirement=requirement,
            boarding_s=boarding_s,
            max_ride_s=max_ride_s,
        )
        postcode = row.raw("postcode")
        pupil = construct(
            row,
            "pupil_id",
            Pupil,
            pupil_id=pupil_id,
            school_id=school_id,
            lon=location[0],
            lat=location[1],
            year_group=year_group,
            first_name=row.raw("first_name"),
            last_name=row.raw("last_name"),
            postcode=normalise_postcode(postcode) if postcode else "",
            date_of_birth=dob,
            needs=needs,
            sibling_group=row.raw("sibling_group"),
            attends_am=flags["attends_am"],
            attends_pm=flags["attends_pm"],
            cannot_walk_assessed=flags["cannot_walk_assessed"],
            is_low_income=flags["is_low_income"],
            has_unsafe_route=flags["has_unsafe_route"],
            can_use_public_transport=flags["can_use_public_transport"],
            travel_training_suitable=flags["travel_training_suitable"],
            can_use_collection_point=flags["can_use_collection_point"],
        )
        if pupil is not None:
            pupils.append(pupil)
    return pupils, set(seen)


def parse_incompatible(
    text: str | None, pupil_ids: set[str] | None, issues: Issues
) -> list[IncompatiblePair]:
    rows = read_csv(text, INCOMPATIBLE_FILE, INCOMPATIBLE_COLUMNS, issues)
    pairs: list[IncompatiblePair] = []
    seen: dict[frozenset[str], int] = {}
    for row in rows or ():
        a = row.text("pupil_a", required=True)
        b = row.text("pupil_b", required=True)
        ok = bool(a and b)
        for column, pid in (("pupil_a", a), ("pupil_b", b)):
            if pid and pupil_ids is not None and pid not in pupil_ids:
                row.problem(column, f"Unknown pupil {pid!r} (not in pupils.csv).")
                ok = False
        if a and a == b:
            row.problem("pupil_b", f"Pupil {a!r} cannot be incompatible with itself.")
            ok = False
        key = frozenset((a, b))
        if ok and key in seen:
            row.problem("pupil_b", f"Pair {a!r}, {b!r} is already on row {seen[key]}.", value=b)
            ok = False
        if ok:
            seen[key] = row.row
            pairs.append(IncompatiblePair(a, b))
    return pairs


def parse_current_routes(
    text: str | None,
    pupil_ids: set[str] | None,
    vehicle_types: Mapping[str, VehicleType],
    vehicle_names: set[str] | None,
    pupils: Mapping[str, Pupil],
    issues: Issues,
) -> list[CurrentRoute]:
    rows = read_csv(text, CURRENT_ROUTES_FILE, CURRENT_ROUTE_COLUMNS, issues)
    routes: list[CurrentRoute] = []
    seen: dict[str, int] = {}
    riding: dict[str, tuple[str, int]] = {}
    for row in rows or ():
        route_id = row.text("route_id", required=True)
        duplicate = bool(route_id) and is_duplicate(row, "route_id", seen)
        vehicle_name = row.text("vehicle_type", required=True)
        ok = bool(vehicle_name) and bool(route_id) and not duplicate
        if vehicle_name and vehicle_names is not None and vehicle_name not in vehicle_names:
            row.problem(
                "vehicle_type", f"Unknown vehicle_type {vehicle_name!r} (not in vehicle_types.csv)."
            )
            ok = False
        has_assistant = row.parse("has_assistant", parse_bool, "true/false (or yes/no, 1/0)")
        if has_assistant is None:
            if not row.raw("has_assistant"):
                row.problem("has_assistant", "has_assistant must not be blank.")
            ok = False
        price = row.pence("day_price_gbp")
        if row.raw("day_price_gbp") and price is None:
            ok = False
        ids = [p.strip() for p in row.raw("pupil_ids").split(SEPARATOR_PUPIL_IDS) if p.strip()]
        if not ids:
            row.problem("pupil_ids", "A route must carry at least one pupil.")
            ok = False
        for pid in ids:
            if pupil_ids is not None and pid not in pupil_ids:
                row.problem("pupil_ids", f"Unknown pupil {pid!r} (not in pupils.csv).")
                ok = False
            elif pid in riding:
                other, other_row = riding[pid]
                row.problem(
                    "pupil_ids",
                    f"Pupil {pid!r} is already on route {other!r} (row {other_row}).",
                )
                ok = False
            else:
                riding[pid] = (route_id, row.row)
        vehicle = vehicle_types.get(vehicle_name)
        if ok and vehicle is not None and all(pid in pupils for pid in ids):
            ok = check_route_fits(row, vehicle, bool(has_assistant), [pupils[p] for p in ids])
        if ok:
            assert has_assistant is not None
            routes.append(
                CurrentRoute(
                    route_id=route_id,
                    vehicle_type=vehicle_name,
                    has_assistant=has_assistant,
                    pupil_ids=tuple(ids),
                    day_price_pence=price,
                )
            )
    return routes


def check_route_fits(
    row: Row, vehicle: VehicleType, has_assistant: bool, pupils: Sequence[Pupil]
) -> bool:
    """Seats and wheelchair places of a current route: an impossible load is a data error."""
    chairs = sum(1 for p in pupils if p.needs.wheelchair)
    seated = len(pupils) - chairs + (1 if has_assistant else 0)
    if chairs > vehicle.max_wheelchair_places:
        row.problem(
            "pupil_ids",
            f"{chairs} wheelchair users but vehicle_type {vehicle.name!r} has "
            f"{vehicle.max_wheelchair_places} wheelchair places.",
        )
        return False
    seats = vehicle.capacity_seats - chairs * vehicle.seats_per_wheelchair_place
    if seated > seats:
        who = " (incl. the assistant)" if has_assistant else ""
        row.problem(
            "pupil_ids",
            f"{seated} seated passengers{who} but vehicle_type {vehicle.name!r} has {seats} "
            f"seats with {chairs} wheelchair places in use.",
        )
        return False
    return True


def construct(row: Row, id_column: str, build: Callable[..., _T], **kwargs: Any) -> _T | None:
    """Run a model constructor; its own checks become an issue on the row."""
    try:
        return build(**kwargs)
    except InvalidScenarioError as err:
        row.problem(id_column, str(err))
        return None
