"""Tender lots: a plan's routes grouped as councils tender them, each with a should-cost.

A lot is one school cluster x one vehicle size band x with or without a passenger
assistant. A school cluster is a set of schools tied together by the plan's routes (a
route serving two schools puts both in one cluster), so every route lies in exactly one
lot. The size band is the vehicle type's seats (``price_model.toml``: 0-5, 6-8, 9-16).

The should-cost is what an efficient operator would need to run the lot's routes for a
year (``price_model.toml``, sourced in data/README.md): the driver's and assistant's paid
hours (each run at least the minimum session, including running from and to the base),
the vehicle's year carried over the school days, fuel for the route and dead miles, and
an overhead share on top. Bids (``bids.csv``: ``lot_id``, ``bid_annual_gbp``) above the
should-cost by more than ``bid_flag_margin`` are flagged.

Each run counts half a vehicle day (a vehicle works the AM and PM runs), as
``routing.costing`` counts half the day rate per run.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from routing.costing import round_pence
from routing.errors import InvalidScenarioError
from routing.model import METRES_PER_MILE, Plan, Route, Run
from routing.plan_file import PlanFile
from routing.reports import safe_cell, write_csv
from routing.summary import format_gbp

DEFAULT_PRICE_MODEL = Path(__file__).resolve().parents[1] / "data" / "price_model.toml"


@dataclass(frozen=True, slots=True)
class SizeBand:
    """Vehicles of up to ``max_seats`` seats (above the previous band's)."""

    name: str
    max_seats: int
    vehicle_pence_per_year: int
    fuel_pence_per_mile: Fraction


@dataclass(frozen=True, slots=True)
class PriceModel:
    """The operator cost model of ``price_model.toml`` (money in pence)."""

    overhead_share: Fraction
    bid_flag_margin: Fraction
    driver_pence_per_hour: int
    assistant_pence_per_hour: int
    staff_on_cost_share: Fraction
    min_paid_hours_per_run: Fraction
    dead_miles_per_run: Fraction
    dead_minutes_per_run: int
    bands: tuple[SizeBand, ...]

    def band_for(self, seats: int) -> SizeBand:
        """The smallest band that holds a vehicle of ``seats`` seats."""
        for band in sorted(self.bands, key=lambda b: b.max_seats):
            if seats <= band.max_seats:
                return band
        msg = f"No size band in the price model holds a vehicle of {seats} seats."
        raise InvalidScenarioError(msg)


def _fraction(data: Mapping[str, object], key: str, path: Path) -> Fraction:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        msg = f"Price model '{path}' key '{key}' must be a number >= 0, got {value!r}."
        raise InvalidScenarioError(msg)
    return Fraction(str(value))


def _pence(data: Mapping[str, object], key: str, path: Path) -> int:
    return round_pence(_fraction(data, key, path) * 100)


def load_price_model(path: Path = DEFAULT_PRICE_MODEL) -> PriceModel:
    """Read and check a ``price_model.toml``.

    Raises
    ------
    InvalidScenarioError
        If the file is missing, not TOML, or a key is missing or negative.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        msg = f"Cannot read price model '{path}': {err}."
        raise InvalidScenarioError(msg) from err
    raw_bands = data.get("band")
    if not isinstance(raw_bands, list) or not raw_bands:
        msg = f"Price model '{path}' has no [[band]] tables."
        raise InvalidScenarioError(msg)
    bands = tuple(
        SizeBand(
            name=str(b.get("name", "")),
            max_seats=int(_fraction(b, "max_seats", path)),
            vehicle_pence_per_year=_pence(b, "vehicle_gbp_per_year", path),
            fuel_pence_per_mile=_fraction(b, "fuel_gbp_per_mile", path) * 100,
        )
        for b in raw_bands
    )
    return PriceModel(
        overhead_share=_fraction(data, "overhead_share", path),
        bid_flag_margin=_fraction(data, "bid_flag_margin", path),
        driver_pence_per_hour=_pence(data, "driver_gbp_per_hour", path),
        assistant_pence_per_hour=_pence(data, "assistant_gbp_per_hour", path),
        staff_on_cost_share=_fraction(data, "staff_on_cost_share", path),
        min_paid_hours_per_run=_fraction(data, "min_paid_hours_per_run", path),
        dead_miles_per_run=_fraction(data, "dead_miles_per_run", path),
        dead_minutes_per_run=int(_fraction(data, "dead_minutes_per_run", path)),
        bands=bands,
    )


# --------------------------------------------------------------------------- lots


@dataclass(frozen=True, slots=True)
class Lot:
    """One tender lot and what it takes to run it for a year."""

    lot_id: str
    cluster: str  # the cluster's schools, by name
    school_ids: tuple[str, ...]
    band: str
    has_assistant: bool
    route_ids: tuple[str, ...]  # "AM:AM-001", ...
    num_routes_am: int
    num_routes_pm: int
    vehicle_days: float  # a year
    miles: float  # a year, passenger-carrying (the plan's distance)
    assistant_days: float
    plan_annual_pence: int  # the plan's own cost of these routes
    direct_annual_pence: int  # should-cost before overhead
    should_cost_annual_pence: int
    bid_annual_pence: int | None = None
    bid_flagged: bool = False


@dataclass(frozen=True, slots=True)
class LotsReport:
    scenario_name: str
    lots: tuple[Lot, ...]
    school_days_per_year: int
    overhead_share: float
    bid_flag_margin: float
    travel_model: str

    @property
    def should_cost_annual_pence(self) -> int:
        return sum(lot.should_cost_annual_pence for lot in self.lots)

    @property
    def plan_annual_pence(self) -> int:
        return sum(lot.plan_annual_pence for lot in self.lots)


def _route_schools(route: Route) -> list[str]:
    return list(dict.fromkeys(s.school_id for s in route.stops if s.school_id))


def school_clusters(plan: Plan) -> dict[str, int]:
    """School id -> cluster number (from 1): schools a route ties together share one."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for route in plan.routes:
        schools = _route_schools(route)
        for a in schools:
            find(a)
        for a, b in itertools.pairwise(schools):
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for school in sorted(parent):
        groups.setdefault(find(school), []).append(school)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    return {s: k for k, group in enumerate(ordered, start=1) for s in group}


def _run_direct_pence(route: Route, band: SizeBand, model: PriceModel, days: int) -> Fraction:
    """One run's direct operating cost: staff hours, half the vehicle's day, fuel."""
    hours = Fraction(route.duration_s + model.dead_minutes_per_run * 60, 3600)
    paid = max(model.min_paid_hours_per_run, hours)
    on_cost = 1 + model.staff_on_cost_share
    staff = paid * model.driver_pence_per_hour * on_cost
    if route.has_assistant:
        staff += paid * model.assistant_pence_per_hour * on_cost
    vehicle = Fraction(band.vehicle_pence_per_year, 2 * days)
    miles = Fraction(route.distance_m) / Fraction(str(METRES_PER_MILE)) + model.dead_miles_per_run
    return staff + vehicle + miles * band.fuel_pence_per_mile


def build_lots(
    plan_file: PlanFile,
    model: PriceModel,
    *,
    bids: Mapping[str, int] | None = None,
) -> LotsReport:
    """Group a plan's routes into tender lots and price each.

    Parameters
    ----------
    plan_file
        The plan with its vehicle types' seats and school names (``plan.json``).
    model
        The operator cost model.
    bids
        Lot id -> bid, pence a year (see :func:`read_bids`).

    Returns
    -------
    LotsReport
        Lots ordered by cluster, band, assistant; every route in exactly one.

    Raises
    ------
    InvalidScenarioError
        If a route's vehicle type has no known seats, no band holds it, or a bid names an
        unknown lot.
    """
    plan, days = plan_file.plan, plan_file.school_days_per_year
    cluster_of = school_clusters(plan)
    groups: dict[tuple[int, int, bool], list[Route]] = {}
    band_of: dict[int, SizeBand] = {}
    order = sorted(model.bands, key=lambda b: b.max_seats)
    for route in plan.routes:
        seats = plan_file.vehicle_seats.get(route.vehicle_type)
        if seats is None:
            msg = (
                f"Route '{route.route_id}' vehicle type '{route.vehicle_type}' has no seats "
                "in the plan file (re-run `schoolrun plan`)."
            )
            raise InvalidScenarioError(msg)
        band = model.band_for(seats)
        band_idx = order.index(band)
        band_of[band_idx] = band
        schools = _route_schools(route)
        cluster = cluster_of[schools[0]] if schools else 0
        groups.setdefault((cluster, band_idx, route.has_assistant), []).append(route)
    members: dict[int, list[str]] = {}
    for school, k in cluster_of.items():
        members.setdefault(k, []).append(school)
    lots = []
    for (cluster, band_idx, has_pa), routes in sorted(groups.items()):
        band = band_of[band_idx]
        lot_id = f"L{cluster:02d}-{band.max_seats:02d}{'-PA' if has_pa else ''}"
        direct = sum(_run_direct_pence(r, band, model, days) for r in routes) * days
        should = direct * (1 + model.overhead_share)
        names = [plan_file.school_names.get(s, s) for s in members.get(cluster, [])]
        bid = None if bids is None else bids.get(lot_id)
        lots.append(
            Lot(
                lot_id=lot_id,
                cluster=f"{names[0]} + {len(names) - 1} more" if len(names) > 1 else names[0],
                school_ids=tuple(members.get(cluster, [])),
                band=band.name,
                has_assistant=has_pa,
                route_ids=tuple(f"{r.run.value}:{r.route_id}" for r in routes),
                num_routes_am=sum(1 for r in routes if r.run is Run.AM),
                num_routes_pm=sum(1 for r in routes if r.run is Run.PM),
                vehicle_days=len(routes) / 2 * days,
                miles=round(sum(r.distance_m for r in routes) * days / METRES_PER_MILE, 1),
                assistant_days=len(routes) / 2 * days if has_pa else 0.0,
                plan_annual_pence=sum(r.cost_pence for r in routes) * days,
                direct_annual_pence=round_pence(direct),
                should_cost_annual_pence=round_pence(should),
                bid_annual_pence=bid,
                bid_flagged=bid is not None and bid > should * (1 + model.bid_flag_margin),
            )
        )
    unknown = sorted(set(bids or {}) - {lot.lot_id for lot in lots})
    if unknown:
        msg = f"Bid for unknown lot '{unknown[0]}' (lots: {', '.join(lot.lot_id for lot in lots)})."
        raise InvalidScenarioError(msg)
    return LotsReport(
        scenario_name=plan.scenario_name,
        lots=tuple(lots),
        school_days_per_year=days,
        overhead_share=float(model.overhead_share),
        bid_flag_margin=float(model.bid_flag_margin),
        travel_model=plan.travel_model,
    )


def read_bids(path: Path) -> dict[str, int]:
    """``bids.csv`` (``lot_id``, ``bid_annual_gbp``) -> lot id -> pence a year.

    Raises
    ------
    InvalidScenarioError
        If a column is missing, a bid is not a non-negative amount, or a lot is repeated.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        msg = f"Cannot read bids file '{path}': {err}."
        raise InvalidScenarioError(msg) from err
    reader = csv.DictReader(io.StringIO(text))
    missing = {"lot_id", "bid_annual_gbp"} - set(reader.fieldnames or [])
    if missing:
        msg = f"Bids file '{path}' lacks column '{sorted(missing)[0]}'."
        raise InvalidScenarioError(msg)
    bids: dict[str, int] = {}
    for row_no, row in enumerate(reader, start=2):
        lot_id = (row["lot_id"] or "").strip()
        raw = (row["bid_annual_gbp"] or "").strip().replace(",", "").lstrip("£")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            msg = (
                f"Bids file '{path}' row {row_no}: bid_annual_gbp "
                f"{row['bid_annual_gbp']!r} is not an amount."
            )
            raise InvalidScenarioError(msg)
        if lot_id in bids:
            msg = f"Bids file '{path}' row {row_no}: lot '{lot_id}' is bid twice."
            raise InvalidScenarioError(msg)
        bids[lot_id] = round_pence(value * 100)
    return bids


# --------------------------------------------------------------------------- outputs

LOTS_COLUMNS = (
    "lot_id",
    "cluster",
    "school_ids",
    "band",
    "has_assistant",
    "num_routes_am",
    "num_routes_pm",
    "vehicle_days",
    "miles",
    "assistant_days",
    "plan_annual_gbp",
    "should_cost_annual_gbp",
    "bid_annual_gbp",
    "bid_flagged",
    "route_ids",
)


def lots_rows(report: LotsReport) -> list[dict[str, object]]:
    """One row per lot for ``lots.csv`` and ``lots.xlsx``."""
    return [
        {
            "lot_id": lot.lot_id,
            "cluster": lot.cluster,
            "school_ids": ";".join(lot.school_ids),
            "band": lot.band,
            "has_assistant": lot.has_assistant,
            "num_routes_am": lot.num_routes_am,
            "num_routes_pm": lot.num_routes_pm,
            "vehicle_days": lot.vehicle_days,
            "miles": lot.miles,
            "assistant_days": lot.assistant_days,
            "plan_annual_gbp": round(lot.plan_annual_pence / 100, 2),
            "should_cost_annual_gbp": round(lot.should_cost_annual_pence / 100, 2),
            "bid_annual_gbp": None
            if lot.bid_annual_pence is None
            else round(lot.bid_annual_pence / 100, 2),
            "bid_flagged": lot.bid_flagged,
            "route_ids": ";".join(lot.route_ids),
        }
        for lot in report.lots
    ]


def write_lots_xlsx(report: LotsReport, path: Path) -> Path:
    """Write ``lots.xlsx``: the lots sheet and a notes sheet, every text cell as text.

    Text that a spreadsheet would run as a formula (``= + - @``, tab, carriage return)
    gets the same leading quote as the CSV (:func:`routing.reports.safe_cell`) and is
    stored as a string, never as a formula.
    """
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "lots"
    _append(sheet, list(LOTS_COLUMNS))
    for row in lots_rows(report):
        _append(sheet, [row[c] for c in LOTS_COLUMNS])
    sheet.freeze_panes = "B2"
    notes = wb.create_sheet("notes")
    for line in _notes(report):
        _append(notes, [line])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _append(sheet: object, values: Sequence[object]) -> None:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(sheet, Worksheet)
    sheet.append([safe_cell(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # a string, whatever it starts with


def _notes(report: LotsReport) -> list[str]:
    return [
        f"Tender lots for {report.scenario_name}: {len(report.lots)} lots, "
        f"{report.school_days_per_year} school days.",
        f"Should-cost: operator cost model (price_model.toml) with "
        f"{report.overhead_share:.0%} overhead; bids more than {report.bid_flag_margin:.0%} "
        "above it are flagged.",
        f"Plan cost of these routes {format_gbp(report.plan_annual_pence)} a year; "
        f"should-cost {format_gbp(report.should_cost_annual_pence)}.",
        f"Travel times: {report.travel_model}",
    ]


def write_lots_outputs(report: LotsReport, out_dir: Path) -> list[Path]:
    """Write ``lots.csv`` and ``lots.xlsx`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(out_dir / "lots.csv", LOTS_COLUMNS, lots_rows(report)),
        write_lots_xlsx(report, out_dir / "lots.xlsx"),
    ]


def format_lots(report: LotsReport) -> str:
    """A short text table for the terminal."""
    lines = [
        f"{'lot':<10} {'band':<11} {'routes':>6} {'plan £/yr':>12} {'should-cost':>12}  bid",
    ]
    for lot in report.lots:
        bid = "" if lot.bid_annual_pence is None else format_gbp(lot.bid_annual_pence)
        flag = "  ABOVE SHOULD-COST" if lot.bid_flagged else ""
        lines.append(
            f"{lot.lot_id:<10} {lot.band:<11} {len(lot.route_ids):>6} "
            f"{format_gbp(lot.plan_annual_pence):>12} "
            f"{format_gbp(lot.should_cost_annual_pence):>12}  {bid}{flag}"
        )
    lines += ["", *_notes(report)]
    return "\n".join(lines)
