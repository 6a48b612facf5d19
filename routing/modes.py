"""Every way to get each pupil to school, priced a year, and the cheapest their needs allow.

For each pupil of a planned scenario:

- **place on the route**: what the council saves if the pupil leaves the planned routes.
  The pupil is taken out of each route that carries them, the rest of the route keeps
  its visiting order and is re-timed and right-sized by the solver's own schedule rules
  (:func:`routing.solver.route_for_visits`: the route may drop to a smaller vehicle or
  lose its assistant); a route the pupil rode alone is saved whole. Not an average.
  A run the plan leaves the pupil unassigned counts its priced solo journey instead.
- **personal transport budget**: the policy's mileage rate x home-school road miles x 2
  legs per run attended (4 a day) x school days (:func:`routing.variants.personal_budgets`).
- **public transport pass** (where ``can_use_public_transport``): the policy's pass price.
- **independent travel training** (where ``travel_training_suitable``): the course cost
  spread over the pupil's school years left, then a pass if it succeeds
  (``travel_training_success_rate``) or the place on the route if it does not.
- **single-occupancy taxi**: the cheapest vehicle that fits the pupil alone, with an
  assistant if they need one, each run (:func:`routing.costing.fallback_journey`).

The council-wide figures take *every* family for whom a mode is cheaper than their place
on the route and move them all at once: each route loses all its leavers together and is
re-timed, so the figure is what the whole switch saves, not a sum of one-at-a-time
savings (which would count a minibus saved by ten leavers ten times).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

from routing.costing import fallback_journey, round_pence
from routing.dataset import load_scenario
from routing.errors import InvalidScenarioError
from routing.matrix import TravelMatrix
from routing.model import Plan, Pupil, Route, Run, Scenario, StopKind
from routing.network import build_travel_matrix
from routing.plan_file import read_plan
from routing.problem import Problem, Request, build_problem, restrict
from routing.reports import write_csv
from routing.solver import route_for_visits
from routing.summary import format_gbp
from routing.variants import personal_budgets

logger = logging.getLogger(__name__)

LAST_SCHOOL_YEAR_GROUP = 13
"""Travel training is spread over the years up to Year 13 (at least one year)."""


class Mode(StrEnum):
    """A way to school the council can offer."""

    ROUTE = "route"  # a place on a planned shared route
    BUDGET = "personal_budget"
    PASS = "public_transport_pass"
    TRAINING = "travel_training"
    TAXI = "solo_taxi"


MODE_WORDS: dict[Mode, str] = {
    Mode.ROUTE: "place on the route",
    Mode.BUDGET: "personal transport budget",
    Mode.PASS: "public transport pass",
    Mode.TRAINING: "travel training",
    Mode.TAXI: "single-occupancy taxi",
}


@dataclass(frozen=True, slots=True)
class PupilModes:
    """One pupil's modes, each a year in pence (None: not open to this pupil).

    ``current_annual_pence`` is what the plan costs for the pupil: the place on the
    route (its saving if they left) plus ``unassigned_annual_pence``, the solo journeys
    on any run the plan leaves them unassigned.
    ``saving_annual_pence`` = current - the cheapest allowed mode (0 when that is the
    current arrangement).
    """

    pupil_id: str
    school_id: str
    route_ids: tuple[str, ...]
    route_place_annual_pence: int | None
    unassigned_annual_pence: int
    current_annual_pence: int
    budget_annual_pence: int
    pass_annual_pence: int | None
    training_annual_pence: int | None
    taxi_annual_pence: int
    cheapest: Mode
    saving_annual_pence: int
    distance_m: int
    is_estimate: bool

    def cost_of(self, mode: Mode) -> int | None:
        """The annual cost of one mode (None when not open to the pupil)."""
        return {
            Mode.ROUTE: self.route_place_annual_pence,
            Mode.BUDGET: self.budget_annual_pence,
            Mode.PASS: self.pass_annual_pence,
            Mode.TRAINING: self.training_annual_pence,
            Mode.TAXI: self.taxi_annual_pence,
        }[mode]


@dataclass(frozen=True, slots=True)
class CouncilSwitch:
    """Every family for whom ``mode`` is cheaper than their place switches at once."""

    mode: Mode | None  # None: each pupil to their own cheapest allowed mode
    num_pupils: int
    routes_saved_annual_pence: int  # what the re-timed routes no longer cost
    new_mode_annual_pence: int  # what the switchers' new modes cost
    saving_annual_pence: int
    sum_of_single_savings_pence: int  # one-at-a-time savings added up, for comparison
    assumption: str


@dataclass(frozen=True, slots=True)
class ModesReport:
    """The per-pupil table and the council-wide switches."""

    scenario_name: str
    pupils: tuple[PupilModes, ...]
    switches: tuple[CouncilSwitch, ...]
    school_days_per_year: int
    travel_model: str
    num_routes_not_retimed: int
    notes: tuple[str, ...]


# --------------------------------------------------------------------------- routes


def _request_of(problem: Problem) -> dict[str, Request]:
    return {pid: r for r in problem.requests for pid in r.pupil_ids}


def _visits(route: Route, request_of: Mapping[str, Request]) -> list[tuple[str, bool]]:
    """(request id, is pickup) in the route's order, one per request end."""
    out: dict[tuple[str, bool], None] = {}
    for stop in route.stops:
        for pid in stop.pupil_ids:
            out[(request_of[pid].request_id, stop.kind is StopKind.PICKUP)] = None
    return list(out)


def _shrunk(request: Request, leaving: set[str], pupils: Mapping[str, Pupil], run: Run) -> Request:
    """A siblings' request without some of them: places and boarding times taken off."""
    gone = [pupils[p] for p in request.pupil_ids if p in leaving]
    kept = [pupils[p] for p in request.pupil_ids if p not in leaving]
    boarding = sum(p.needs.boarding_s for p in gone)
    handover_each = request.dropoff_service_s if run is Run.AM else request.pickup_service_s
    handover = handover_each // len(request.pupil_ids) * len(gone)
    board_field, hand_field = (
        ("pickup_service_s", "dropoff_service_s")
        if run is Run.AM
        else ("dropoff_service_s", "pickup_service_s")
    )
    return replace(
        request,
        pupil_ids=tuple(p.pupil_id for p in kept),
        seats=request.seats - sum(1 for p in gone if not p.needs.wheelchair),
        wheelchairs=request.wheelchairs - sum(1 for p in gone if p.needs.wheelchair),
        needs_assistant=any(p.needs.needs_assistant for p in kept),
        travel_alone=any(p.needs.travel_alone for p in kept),
        **{
            board_field: getattr(request, board_field) - boarding,
            hand_field: getattr(request, hand_field) - handover,
        },
    )


@dataclass(frozen=True)
class _RunContext:
    problem: Problem
    request_of: dict[str, Request]
    pupils: dict[str, Pupil]
    run: Run


def _route_cost_without(ctx: _RunContext, route: Route, leaving: set[str]) -> int | None:
    """The route's cost once ``leaving`` are off it (0 if no one is left; None: no class)."""
    staying = [p for p in route.pupil_ids() if p not in leaving]
    if not staying:
        return 0
    if len(staying) == len(route.pupil_ids()):
        return route.cost_pence
    keep_ids = {ctx.request_of[p].request_id for p in staying}
    part = restrict(ctx.problem, keep_ids)
    shrunk = {
        r.request_id: _shrunk(r, leaving, ctx.pupils, ctx.run)
        for r in part.requests
        if leaving.intersection(r.pupil_ids)
    }
    if shrunk:
        part = replace(part, requests=tuple(shrunk.get(r.request_id, r) for r in part.requests))
    visits = [v for v in _visits(route, ctx.request_of) if v[0] in keep_ids]
    new = route_for_visits(part, visits)
    if new is None:
        # Neither the earliest nor the latest schedule holds (a tight ride limit): keep
        # the planned service times, which still hold once a stop is skipped.
        new = route_for_visits(_pinned(part, _planned_starts(route, ctx.request_of)), visits)
    return None if new is None else min(new.cost_pence, route.cost_pence)


def _planned_starts(route: Route, request_of: Mapping[str, Request]) -> dict[tuple[str, bool], int]:
    """Each request end's planned service start (siblings at one stop back to back)."""
    starts: dict[tuple[str, bool], int] = {}
    for stop in route.stops:
        is_pickup = stop.kind is StopKind.PICKUP
        at = stop.service_start_s
        for pid in stop.pupil_ids:
            r = request_of[pid]
            key = (r.request_id, is_pickup)
            if key not in starts:
                starts[key] = at
                at += r.pickup_service_s if is_pickup else r.dropoff_service_s
    return starts


def _pinned(problem: Problem, starts: Mapping[tuple[str, bool], int]) -> Problem:
    """The problem with each request's windows closed to its planned service start."""

    def pin(r: Request) -> Request:
        up, down = starts[(r.request_id, True)], starts[(r.request_id, False)]
        return replace(r, pickup_window_s=(up, up), dropoff_window_s=(down, down))

    return replace(problem, requests=tuple(pin(r) for r in problem.requests))


def _contexts(scenario: Scenario, matrix: TravelMatrix, plan: Plan) -> dict[Run, _RunContext]:
    pupils = scenario.pupils_by_id()
    out: dict[Run, _RunContext] = {}
    for run in (Run.AM, Run.PM):
        if not plan.routes_for(run):
            continue
        routed = {p for r in plan.routes_for(run) for p in r.pupil_ids()}
        problem, _ = build_problem(scenario, matrix, run, pupil_ids=sorted(routed))
        request_of = _request_of(problem)
        missing = sorted(routed - set(request_of))
        if missing:
            msg = (
                f"Plan route pupil '{missing[0]}' is not plannable in scenario "
                f"'{scenario.name}' ({run.value}): is the plan from another scenario?"
            )
            raise InvalidScenarioError(msg)
        out[run] = _RunContext(problem, request_of, pupils, run)
    return out


def _routes_saving_day(
    contexts: Mapping[Run, _RunContext], plan: Plan, leaving: set[str]
) -> tuple[int, int]:
    """Day pence the routes save when ``leaving`` all go, and routes that could not re-time."""
    saved = not_retimed = 0
    for route in plan.routes:
        if leaving.isdisjoint(route.pupil_ids()):
            continue
        cost = _route_cost_without(contexts[route.run], route, leaving)
        if cost is None:
            not_retimed += 1
            continue
        saved += route.cost_pence - cost
    return saved, not_retimed


# --------------------------------------------------------------------------- modes


def _training_annual_pence(scenario: Scenario, pupil: Pupil, fallback_pence: int) -> int:
    policy = scenario.policy
    years = max(1, LAST_SCHOOL_YEAR_GROUP + 1 - pupil.year_group)
    rate = Fraction(repr(policy.travel_training_success_rate))
    return round_pence(
        Fraction(policy.travel_training_cost_pence, years)
        + rate * policy.public_transport_pass_pence_per_year
        + (1 - rate) * fallback_pence
    )


def _allowed(row: PupilModes) -> list[tuple[int, Mode]]:
    options = [(row.cost_of(m), m) for m in Mode]
    return [(c, m) for c, m in options if c is not None]


def price_modes(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    *,
    with_switches: bool = True,
) -> ModesReport:
    """Price every mode for every pupil the plan carries or leaves unassigned.

    Parameters
    ----------
    scenario
        The scenario the plan was made for.
    matrix
        Its travel matrix (the same one the plan was checked on).
    plan
        The checked plan.
    with_switches
        Also work out the council-wide switches (each re-times the routes once).

    Returns
    -------
    ModesReport
        One row per pupil (sorted by pupil id) and the council-wide switches.

    Raises
    ------
    InvalidScenarioError
        If the plan carries a pupil the scenario does not know or cannot plan.
    """
    # The plan's own walks say where its routes meet each pupil (a collection point).
    scenario = replace(scenario, walks=plan.walks)
    days = scenario.policy.school_days_per_year
    contexts = _contexts(scenario, matrix, plan)
    routes_of: dict[str, list[Route]] = {}
    for route in plan.routes:
        for pid in route.pupil_ids():
            routes_of.setdefault(pid, []).append(route)
    unassigned = {(u.pupil_id, u.run): u.reason for u in plan.unassigned}
    involved = sorted(set(routes_of) | {pid for pid, _ in unassigned})
    known = scenario.pupils_by_id()
    unknown = [p for p in involved if p not in known]
    if unknown:
        msg = f"Plan pupil '{unknown[0]}' is not in scenario '{scenario.name}'."
        raise InvalidScenarioError(msg)
    budgets = {b.pupil_id: b for b in personal_budgets(scenario, matrix, involved)}
    not_retimed = 0
    rows: list[PupilModes] = []
    for pid in involved:
        pupil = known[pid]
        place_day, misses = _routes_saving_day(contexts, plan, {pid})
        not_retimed += misses
        solo_day = {
            run: fallback_journey(scenario, pupil, run, "priced for modes", matrix).cost_pence
            for run in pupil.runs()
        }
        fallback_day = sum(c for run, c in solo_day.items() if (pid, run) in unassigned)
        on_route = pid in routes_of
        current = (place_day + fallback_day) * days
        pass_cost = (
            scenario.policy.public_transport_pass_pence_per_year
            if pupil.can_use_public_transport
            else None
        )
        training = (
            _training_annual_pence(scenario, pupil, current)
            if pupil.travel_training_suitable
            else None
        )
        row = PupilModes(
            pupil_id=pid,
            school_id=pupil.school_id,
            route_ids=tuple(f"{r.run.value}:{r.route_id}" for r in routes_of.get(pid, [])),
            route_place_annual_pence=place_day * days if on_route else None,
            unassigned_annual_pence=fallback_day * days,
            current_annual_pence=current,
            budget_annual_pence=budgets[pid].annual_pence,
            pass_annual_pence=pass_cost,
            training_annual_pence=training,
            taxi_annual_pence=sum(solo_day.values()) * days,
            cheapest=Mode.ROUTE,
            saving_annual_pence=0,
            distance_m=budgets[pid].distance_m,
            is_estimate=budgets[pid].is_estimate,
        )
        cost, mode = min(_allowed(row), key=lambda cm: (cm[0], list(Mode).index(cm[1])))
        rows.append(replace(row, cheapest=mode, saving_annual_pence=max(0, current - cost)))
    switches = tuple(_switches(scenario, contexts, plan, rows)) if with_switches else ()
    notes = [
        "Each pupil's place is priced alone: the rest of the plan stays as it is.",
        "Vehicle availability caps are not re-checked when a route shrinks to a smaller type.",
    ]
    if not_retimed:
        notes.append(
            f"{not_retimed} route(s) could not be re-timed without a pupil (no vehicle class "
            "runs the rest in the same order); those places are priced at no saving."
        )
    return ModesReport(
        scenario_name=scenario.name,
        pupils=tuple(rows),
        switches=switches,
        school_days_per_year=days,
        travel_model=plan.travel_model,
        num_routes_not_retimed=not_retimed,
        notes=tuple(notes),
    )


def _switches(
    scenario: Scenario,
    contexts: Mapping[Run, _RunContext],
    plan: Plan,
    rows: Sequence[PupilModes],
) -> Iterable[CouncilSwitch]:
    days = scenario.policy.school_days_per_year
    for mode in (None, Mode.BUDGET, Mode.PASS, Mode.TRAINING):
        movers: dict[str, int] = {}
        for row in rows:
            target = row.cheapest if mode is None else mode
            cost = row.cost_of(target)
            if target is Mode.ROUTE or cost is None:
                continue
            if cost < row.current_annual_pence:
                movers[row.pupil_id] = cost
        leaving = set(movers)
        saved_day, _ = _routes_saving_day(contexts, plan, leaving)
        saved = saved_day * days + sum(
            r.unassigned_annual_pence for r in rows if r.pupil_id in leaving
        )
        new_cost = sum(movers.values())
        words = "their own cheapest mode" if mode is None else MODE_WORDS[mode]
        yield CouncilSwitch(
            mode=mode,
            num_pupils=len(movers),
            routes_saved_annual_pence=saved,
            new_mode_annual_pence=new_cost,
            saving_annual_pence=saved - new_cost,
            sum_of_single_savings_pence=sum(
                r.current_annual_pence - movers[r.pupil_id] for r in rows if r.pupil_id in movers
            ),
            assumption=(
                f"Every family for whom {words} costs less than their place on the route "
                f"takes it ({len(movers)} pupils), all at once; each route they leave is "
                "re-timed without them in the same order and right-sized; nobody else moves, "
                "and no route is re-planned."
            ),
        )


def price_modes_folder(
    scenario_dir: Path, plan_dir: Path, *, cache_dir: Path | None = None
) -> ModesReport:
    """Load a scenario folder, its travel matrix and a ``schoolrun plan`` output; price modes.

    Raises
    ------
    InvalidScenarioError
        If the plan is missing or was made for another scenario.
    """
    scenario = load_scenario(scenario_dir)
    plan = read_plan(plan_dir)
    if plan.scenario_name != scenario.name:
        msg = f"Plan in '{plan_dir}' is for scenario '{plan.scenario_name}', not '{scenario.name}'."
        raise InvalidScenarioError(msg)
    matrix = build_travel_matrix(scenario, scenario_dir, cache_dir=cache_dir)
    return price_modes(scenario, matrix, plan)


# --------------------------------------------------------------------------- outputs

MODES_COLUMNS = (
    "pupil_id",
    "school_id",
    "routes",
    "route_place_annual_gbp",
    "current_annual_gbp",
    "personal_budget_annual_gbp",
    "public_transport_pass_annual_gbp",
    "travel_training_annual_gbp",
    "solo_taxi_annual_gbp",
    "cheapest_mode",
    "saving_annual_gbp",
    "home_school_distance_m",
    "is_estimate",
)


def _gbp(pence: int | None) -> float | None:
    return None if pence is None else round(pence / 100, 2)


def modes_rows(report: ModesReport) -> list[dict[str, object]]:
    """One row per pupil for ``modes.csv`` (blank cost: the mode is not open to them)."""
    return [
        {
            "pupil_id": r.pupil_id,
            "school_id": r.school_id,
            "routes": ";".join(r.route_ids),
            "route_place_annual_gbp": _gbp(r.route_place_annual_pence),
            "current_annual_gbp": _gbp(r.current_annual_pence),
            "personal_budget_annual_gbp": _gbp(r.budget_annual_pence),
            "public_transport_pass_annual_gbp": _gbp(r.pass_annual_pence),
            "travel_training_annual_gbp": _gbp(r.training_annual_pence),
            "solo_taxi_annual_gbp": _gbp(r.taxi_annual_pence),
            "cheapest_mode": r.cheapest.value,
            "saving_annual_gbp": _gbp(r.saving_annual_pence),
            "home_school_distance_m": r.distance_m,
            "is_estimate": r.is_estimate,
        }
        for r in report.pupils
    ]


def switches_rows(report: ModesReport) -> list[dict[str, object]]:
    """One row per council-wide switch (for ``modes_council.csv``)."""
    return [
        {
            "switch_to": "cheapest" if s.mode is None else s.mode.value,
            "num_pupils": s.num_pupils,
            "routes_saved_annual_gbp": _gbp(s.routes_saved_annual_pence),
            "new_mode_annual_gbp": _gbp(s.new_mode_annual_pence),
            "saving_annual_gbp": _gbp(s.saving_annual_pence),
            "sum_of_single_savings_gbp": _gbp(s.sum_of_single_savings_pence),
            "assumption": s.assumption,
        }
        for s in report.switches
    ]


SWITCH_COLUMNS = (
    "switch_to",
    "num_pupils",
    "routes_saved_annual_gbp",
    "new_mode_annual_gbp",
    "saving_annual_gbp",
    "sum_of_single_savings_gbp",
    "assumption",
)


def write_modes_chart(report: ModesReport, path: Path) -> Path:
    """PNG: each mode's annual cost per pupil (median and spread), and the switches' savings.

    Uses matplotlib's Agg canvas directly (no pyplot, no global backend change).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 5), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    data, labels = [], []
    for mode in Mode:
        costs = [c / 100_000 for r in report.pupils if (c := r.cost_of(mode)) is not None]
        if costs:
            data.append(costs)
            labels.append(f"{MODE_WORDS[mode]}\n(n={len(costs)})")
    if data:
        left.boxplot(data, orientation="horizontal", tick_labels=labels, showfliers=False)
    left.set_xlabel("Annual cost per pupil, £ thousand")
    left.set_title("Each mode, per pupil it is open to", fontsize=10)
    left.tick_params(axis="y", labelsize=8)
    left.grid(True, axis="x", alpha=0.3)
    names = ["each to cheapest" if s.mode is None else MODE_WORDS[s.mode] for s in report.switches]
    values = [s.saving_annual_pence / 100_000 for s in report.switches]
    bars = right.barh(names, values, color="#1f4e79")
    for bar, s in zip(bars, report.switches, strict=True):
        right.annotate(
            f"{format_gbp(s.saving_annual_pence)} ({s.num_pupils} pupils)",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            textcoords="offset points",
            xytext=(4, -3),
            fontsize=8,
        )
    right.set_xlabel("Council-wide saving a year, £ thousand")
    right.set_title("If every family for whom it is cheaper switched", fontsize=10)
    right.tick_params(axis="y", labelsize=8)
    right.margins(x=0.35)
    fig.suptitle(f"{report.scenario_name}: every way to school, priced", fontsize=11)
    fig.text(0.01, 0.01, f"Travel times: {report.travel_model}", fontsize=7, color="#444444")
    fig.subplots_adjust(left=0.2, wspace=0.6, bottom=0.15)
    fig.savefig(path, format="png")
    return path


def write_modes_outputs(report: ModesReport, out_dir: Path) -> list[Path]:
    """Write ``modes.csv``, ``modes_council.csv`` and ``modes.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(out_dir / "modes.csv", MODES_COLUMNS, modes_rows(report)),
        write_csv(out_dir / "modes_council.csv", SWITCH_COLUMNS, switches_rows(report)),
        write_modes_chart(report, out_dir / "modes.png"),
    ]


def format_modes(report: ModesReport) -> str:
    """A short text summary for the terminal."""
    by_mode: dict[Mode, int] = {}
    for r in report.pupils:
        by_mode[r.cheapest] = by_mode.get(r.cheapest, 0) + 1
    lines = [
        f"Modes for '{report.scenario_name}': {len(report.pupils)} pupils, "
        f"{report.school_days_per_year} school days",
        "Cheapest mode each pupil's needs allow: "
        + ", ".join(f"{MODE_WORDS[m]} {n}" for m, n in sorted(by_mode.items())),
        "",
        "Council-wide, if every family for whom it is cheaper switched:",
    ]
    for s in report.switches:
        words = "each to their cheapest" if s.mode is None else MODE_WORDS[s.mode]
        lines.append(
            f"  {words:<28} {s.num_pupils:>4} pupils  saving {format_gbp(s.saving_annual_pence)}"
            f" a year (routes {format_gbp(s.routes_saved_annual_pence)} less, new modes "
            f"{format_gbp(s.new_mode_annual_pence)})"
        )
    lines += ["", "Assumption: " + (report.switches[0].assumption if report.switches else "")]
    lines += [f"Note: {n}" for n in report.notes]
    return "\n".join(lines)
