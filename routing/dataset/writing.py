"""Writing a scenario folder that routing.dataset.load_scenario reads back equal."""

from __future__ import annotations

import csv
from pathlib import Path

from routing.clock import format_clock
from routing.dataset.columns import (
    COLLECTION_POINT_COLUMNS,
    COLLECTION_POINTS_FILE,
    CURRENT_ROUTE_COLUMNS,
    CURRENT_ROUTES_FILE,
    INCOMPATIBLE_COLUMNS,
    INCOMPATIBLE_FILE,
    POLICY_FILE,
    PUPIL_COLUMNS,
    PUPILS_FILE,
    SCHOOL_COLUMNS,
    SCHOOLS_FILE,
    SEPARATOR_PUPIL_IDS,
    VEHICLE_TYPE_COLUMNS,
    VEHICLE_TYPES_FILE,
)
from routing.model import (
    SECONDS_PER_MINUTE,
    NetworkSource,
    Policy,
    Scenario,
)


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """Write ``scenario`` as a scenario folder that :func:`load_scenario` reads back equal.

    Pupils are written with lon/lat (so no ``postcodes.csv`` is needed); a boarding time
    equal to the policy default is written blank, meaning "policy default". Graph files
    named in ``scenario.network`` are not copied: the paths are written as they are.
    ``incompatible.csv`` and ``current_routes.csv`` are always written (header only when
    empty); ``collection_points.csv`` only when the scenario has collection points.

    Parameters
    ----------
    scenario
        The scenario to write.
    folder
        Destination folder (created if missing); existing scenario files are replaced.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    policy = scenario.policy
    write_csv(
        folder / SCHOOLS_FILE,
        list(SCHOOL_COLUMNS),
        [
            [
                s.school_id,
                s.name,
                s.kind.value,
                fmt_float(s.lon),
                fmt_float(s.lat),
                s.postcode,
                s.local_authority,
                format_clock(s.am_start_s, show_seconds="if_any"),
                format_clock(s.pm_end_s, show_seconds="if_any"),
                fmt_minutes(s.arrive_window_open_s),
                fmt_minutes(s.arrive_window_close_s),
                fmt_minutes(s.pm_max_wait_s),
                str(s.handover_s),
            ]
            for s in scenario.schools
        ],
    )
    pupil_rows = []
    for p in scenario.pupils:
        default_boarding_s = (
            policy.default_wheelchair_boarding_s
            if p.needs.wheelchair
            else policy.default_boarding_s
        )
        pupil_rows.append(
            [
                p.pupil_id,
                p.school_id,
                p.first_name,
                p.last_name,
                p.postcode,
                fmt_float(p.lon),
                fmt_float(p.lat),
                p.date_of_birth.isoformat() if p.date_of_birth else "",
                str(p.year_group),
                fmt_bool(p.needs.wheelchair),
                fmt_bool(p.needs.needs_assistant),
                fmt_bool(p.needs.travel_alone),
                p.needs.vehicle_requirement.value,
                "" if p.needs.boarding_s == default_boarding_s else str(p.needs.boarding_s),
                "" if p.needs.max_ride_s is None else fmt_minutes(p.needs.max_ride_s),
                p.sibling_group,
                fmt_bool(p.attends_am),
                fmt_bool(p.attends_pm),
                fmt_bool(p.cannot_walk_assessed),
                fmt_bool(p.is_low_income),
                fmt_bool(p.has_unsafe_route),
                fmt_bool(p.can_use_public_transport),
                fmt_bool(p.travel_training_suitable),
                fmt_bool(p.can_use_collection_point),
            ]
        )
    write_csv(folder / PUPILS_FILE, list(PUPIL_COLUMNS), pupil_rows)
    write_csv(
        folder / INCOMPATIBLE_FILE,
        list(INCOMPATIBLE_COLUMNS),
        [[pair.pupil_a, pair.pupil_b] for pair in scenario.incompatible_pairs],
    )
    write_csv(
        folder / VEHICLE_TYPES_FILE,
        list(VEHICLE_TYPE_COLUMNS),
        [
            [
                v.name,
                v.category.value,
                str(v.capacity_seats),
                str(v.max_wheelchair_places),
                str(v.seats_per_wheelchair_place),
                "" if v.num_available is None else str(v.num_available),
                fmt_gbp(v.day_rate_pence),
                fmt_gbp(v.cost_per_mile_pence),
                fmt_minutes(v.max_shift_s),
            ]
            for v in scenario.vehicle_types
        ],
    )
    write_csv(
        folder / CURRENT_ROUTES_FILE,
        list(CURRENT_ROUTE_COLUMNS),
        [
            [
                r.route_id,
                r.vehicle_type,
                fmt_bool(r.has_assistant),
                "" if r.day_price_pence is None else fmt_gbp(r.day_price_pence),
                SEPARATOR_PUPIL_IDS.join(r.pupil_ids),
            ]
            for r in scenario.current_routes
        ],
    )
    if scenario.collection_points:
        write_csv(
            folder / COLLECTION_POINTS_FILE,
            list(COLLECTION_POINT_COLUMNS),
            [
                [c.point_id, c.name, fmt_float(c.lon), fmt_float(c.lat)]
                for c in scenario.collection_points
            ],
        )
    (folder / POLICY_FILE).write_text(policy_toml(policy, scenario.network), encoding="utf-8")


# --------------------------------------------------------------------------- writing


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def fmt_float(value: float) -> str:
    return repr(float(value))


def fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def fmt_gbp(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def fmt_minutes(seconds: int) -> str:
    if seconds % SECONDS_PER_MINUTE == 0:
        return str(seconds // SECONDS_PER_MINUTE)
    return repr(seconds / SECONDS_PER_MINUTE)


def toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def policy_toml(policy: Policy, network: NetworkSource) -> str:
    def gbp(pence: int) -> str:
        return fmt_gbp(pence)

    def minutes(seconds: int) -> str:
        return fmt_minutes(seconds) if seconds % 60 == 0 else repr(seconds / 60)

    lines = [
        "# SchoolRun policy: the council's rules and prices (units in every key).",
        "# Format: data/README.md.",
        f"assistant_day_cost_gbp = {gbp(policy.assistant_day_cost_pence)}",
        f"max_ride_primary_min = {minutes(policy.max_ride_primary_s)}",
        f"max_ride_secondary_min = {minutes(policy.max_ride_secondary_s)}",
        f"school_days_per_year = {policy.school_days_per_year}",
        f"peak_travel_factor = {policy.peak_travel_factor!r}",
        f"route_start = {toml_str(policy.route_start.value)}",
    ]
    if policy.depot_lon is not None:
        lines.append(f"depot_lon = {float(policy.depot_lon)!r}")
    if policy.depot_lat is not None:
        lines.append(f"depot_lat = {float(policy.depot_lat)!r}")
    lines += [
        f"allow_mixed_school_routes = {fmt_bool(policy.allow_mixed_school_routes)}",
        f"default_boarding_s = {policy.default_boarding_s}",
        f"default_wheelchair_boarding_s = {policy.default_wheelchair_boarding_s}",
        f"personal_budget_gbp_per_mile = {gbp(policy.personal_budget_pence_per_mile)}",
        f"approx_circuity_factor = {float(policy.approx_circuity_factor)!r}",
        f"ride_minute_value_gbp = {gbp(policy.ride_minute_value_pence)}",
        f"comfort_ride_factor = {float(policy.comfort_ride_factor)!r}",
        f"comfort_ride_extra_min = {minutes(policy.comfort_ride_extra_s)}",
        f"public_transport_pass_gbp_per_year = {gbp(policy.public_transport_pass_pence_per_year)}",
        f"travel_training_cost_gbp = {gbp(policy.travel_training_cost_pence)}",
        f"travel_training_success_rate = {float(policy.travel_training_success_rate)!r}",
        f"collection_point_max_walk_m = {policy.collection_point_max_walk_m}",
        f"collection_point_min_pupils = {policy.collection_point_min_pupils}",
    ]
    if network.drive_graph or network.walk_graph or network.description:
        lines += [
            "",
            "[network]",
            f"drive_graph = {toml_str(network.drive_graph)}",
            f"walk_graph = {toml_str(network.walk_graph)}",
            f"description = {toml_str(network.description)}",
        ]
    return "\n".join(lines) + "\n"
