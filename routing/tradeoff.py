"""The cost of children's time: plan a sweep of the ride-time policy and chart it.

``schoolrun tradeoff SCENARIO --out DIR`` plans the scenario once per value of a pupil's
on-board minute (the scenario's own value is one point) and, with ``--comfort``, once per
comfort limit (``comfort_ride_factor`` / ``comfort_ride_extra_min``, at the scenario's own
value), with the finance what-if machinery of :mod:`routing.variants` (each point is a
variant ``ride_minute_value_gbp=X`` or ``comfort_ride_factor=F,comfort_ride_extra_min=M``),
and writes ``tradeoff.csv`` (one row per point and one for today's arrangement) and
``tradeoff.png`` (day cost against rides over 45 minutes).

Both levers go through every search: a ride value above 0 is priced in the OR-Tools parts
(exactly, from the scheduled times) and in the whole-run search (each ride as driven
without waiting, ``alns_fleet._route_ride``); a comfort limit is a hard rule every search
keeps.

:func:`cheapest_meeting` answers the council's question: which is the cheapest plan at
least ``saving_pct`` cheaper than today **and** with no more rides over 45 minutes than
today's arrangement, or None when the sweep has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.errors import InvalidScenarioError
from routing.executor import Executor
from routing.model import Plan, Scenario
from routing.reports import write_csv, write_summary_json
from routing.rides import RIDE_THRESHOLDS_MIN, ride_stats
from routing.variants import (
    BASELINE_NAME,
    CURRENT_NAME,
    MatrixBuilder,
    Planner,
    VariantResult,
    compare_variants,
)

DEFAULT_SAVING_PCT = 30.0
TRADEOFF_COLUMNS = (
    "point",
    "ride_minute_value_gbp",
    "comfort_ride_factor",
    "comfort_ride_extra_min",
    "day_cost_gbp",
    "annual_cost_gbp",
    "saving_vs_today_pct",
    "mean_ride_min",
    "p95_ride_min",
    "rides_over_45_min",
    "rides_over_75_min",
    "vehicles",
    "unassigned",
    "flagged",
)


@dataclass(frozen=True, slots=True)
class TradeoffPoint:
    """One plan of the sweep (or today's arrangement, ``value_pence`` None).

    Costs include the estimated solo journeys of unassigned pupils (as in variants);
    ride figures count rides (a pupil's AM and PM each), over both runs.
    """

    name: str
    value_pence: int | None
    day_cost_pence: int
    annual_cost_pence: int
    mean_ride_min: float
    p95_ride_min: float
    rides_over_45_min: int
    rides_over_75_min: int
    num_vehicles: int
    num_unassigned: int
    num_flagged: int
    error: str = ""
    comfort: tuple[float, int] | None = None  # (factor, extra minutes); None: today

    @property
    def is_today(self) -> bool:
        return self.value_pence is None

    @property
    def label(self) -> str:
        """How the chart names the point: its value, or its comfort limit."""
        if self.name.startswith(COMFORT_PREFIX) and self.comfort is not None:
            factor, extra = self.comfort
            return "no comfort limit" if not (factor or extra) else f"{factor:g}x / +{extra} min"
        return f"£{(self.value_pence or 0) / 100:.2f}/min"


@dataclass(frozen=True)
class Tradeoff:
    """The sweep's points in value order, and today's arrangement when known."""

    scenario_name: str
    travel_model: str
    points: tuple[TradeoffPoint, ...]
    today: TradeoffPoint | None


def parse_values(text: str) -> tuple[int, ...]:
    """``"0,0.05,0.1"`` (pounds a pupil-minute) -> pence, sorted, without repeats.

    Raises
    ------
    InvalidScenarioError
        If a value is not a number, negative, or not in whole pence.
    """
    pence: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            value = float(part)
        except ValueError as err:
            msg = f"--values must be pounds a minute such as 0.05, got '{part}'."
            raise InvalidScenarioError(msg) from err
        if not value >= 0 or abs(value * 100 - round(value * 100)) > 1e-6:
            msg = f"--values must be >= 0 in whole pence, got '{part}'."
            raise InvalidScenarioError(msg)
        pence.add(round(value * 100))
    if not pence:
        msg = f"--values names no value, got '{text}'."
        raise InvalidScenarioError(msg)
    return tuple(sorted(pence))


COMFORT_PREFIX = "comfort"


def parse_comfort(text: str) -> tuple[tuple[float, int], ...]:
    """``"2/25,1.5/20,0/0"`` -> ((2.0, 25), (1.5, 20), (0.0, 0)): comfort limits to plan.

    Each is ``FACTOR/EXTRA_MIN`` (a ride at most max(direct x FACTOR, direct + EXTRA_MIN));
    FACTOR 0 or 1..3, EXTRA_MIN a whole number 0..120; 0 switches a term off.

    Raises
    ------
    InvalidScenarioError
        Naming the bad item.
    """
    out: list[tuple[float, int]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        factor_text, slash, extra_text = part.partition("/")
        try:
            factor, extra = float(factor_text), int(extra_text)
        except ValueError as err:
            msg = f"--comfort items are FACTOR/EXTRA_MIN such as 1.5/20, got '{part}'."
            raise InvalidScenarioError(msg) from err
        if not slash or not (factor == 0 or 1 <= factor <= 3) or not 0 <= extra <= 120:
            msg = f"--comfort: FACTOR must be 0 or 1..3 and EXTRA_MIN 0..120, got '{part}'."
            raise InvalidScenarioError(msg)
        if (factor, extra) not in out:
            out.append((factor, extra))
    return tuple(out)


def _variant_name(pence: int) -> str:
    return f"ride{pence}p"


def _comfort_name(factor: float, extra: int) -> str:
    return f"{COMFORT_PREFIX}{round(factor * 100)}_{extra}"


def _comfort_of(scenario: Scenario) -> tuple[float, int]:
    policy = scenario.policy
    return (policy.comfort_ride_factor, policy.comfort_ride_extra_s // 60)


def _point(
    name: str,
    value_pence: int | None,
    row: VariantResult,
    plan: Plan | None,
    scenario: Scenario,
    comfort: tuple[float, int] | None,
) -> TradeoffPoint:
    if row.error or plan is None:
        return TradeoffPoint(
            name, value_pence, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0, error=row.error, comfort=comfort
        )
    rides = ride_stats(scenario, plan)
    return TradeoffPoint(
        name=name,
        value_pence=value_pence,
        day_cost_pence=row.day_cost_pence,
        annual_cost_pence=row.annual_cost_pence,
        mean_ride_min=rides.mean_min,
        p95_ride_min=rides.p95_min,
        rides_over_45_min=rides.num_over_45_min,
        rides_over_75_min=rides.num_over_75_min,
        num_vehicles=row.num_vehicles,
        num_unassigned=row.num_unassigned,
        num_flagged=len(plan.flags),
        comfort=comfort,
    )


def run_tradeoff(
    scenario: Scenario,
    matrix_builder: MatrixBuilder,
    planner: Planner,
    values_pence: Sequence[int],
    *,
    comfort: Sequence[tuple[float, int]] = (),
    progress: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> Tradeoff:
    """Plan the scenario at each value of a pupil's minute, and today's arrangement.

    Parameters
    ----------
    scenario
        The scenario; its own ``policy.ride_minute_value_pence`` is one point (planned as
        the variants' baseline), the other values are variants of it.
    matrix_builder, planner
        As for :func:`routing.variants.compare_variants`.
    values_pence
        The values of one pupil's on-board minute, pence.
    comfort
        Comfort limits ``(factor, extra minutes)`` to plan at the scenario's own value (the
        scenario's own limit is already the value sweep's, so it is not repeated).
    progress
        Called with a line of text as each point starts.
    executor
        Plan every point at once on it (see :func:`routing.variants.compare_variants`).

    Returns
    -------
    Tradeoff
        Value points in value order, then comfort points in the order given; ``today``
        from the scenario's current routes (or None).
    """
    own = scenario.policy.ride_minute_value_pence
    own_comfort = _comfort_of(scenario)
    others = [p for p in dict.fromkeys(values_pence) if p != own]
    limits = [c for c in dict.fromkeys(comfort) if c != own_comfort]
    variants = [f"{_variant_name(p)}=ride_minute_value_gbp={p / 100:.2f}" for p in others]
    variants += [
        f"{_comfort_name(f, m)}=comfort_ride_factor={f},comfort_ride_extra_min={m}"
        for f, m in limits
    ]
    table = compare_variants(
        scenario,
        matrix_builder,
        planner,
        variants,
        include_current=True,
        progress=progress,
        executor=executor,
    )
    base = table.row(BASELINE_NAME)
    baseline_plan = table.plans.get(BASELINE_NAME)
    points = [_point(_variant_name(own), own, base, baseline_plan, scenario, own_comfort)]
    for p in others:
        name = _variant_name(p)
        row, plan = table.row(name), table.plans.get(name)
        points.append(_point(name, p, row, plan, scenario, own_comfort))
    points.sort(key=lambda t: t.value_pence or 0)
    for f, m in limits:
        name = _comfort_name(f, m)
        row, plan = table.row(name), table.plans.get(name)
        points.append(_point(name, own, row, plan, scenario, (f, m)))
    today = None
    if CURRENT_NAME in table.plans:
        row, plan = table.row(CURRENT_NAME), table.plans[CURRENT_NAME]
        today = _point("today", None, row, plan, scenario, None)
    return Tradeoff(scenario.name, table.travel_model, tuple(points), today)


def cheapest_meeting(
    tradeoff: Tradeoff, saving_pct: float = DEFAULT_SAVING_PCT
) -> TradeoffPoint | None:
    """The cheapest point ``saving_pct`` cheaper than today with no more rides over 45 min.

    None when today is unknown or no point of the sweep meets both.
    """
    today = tradeoff.today
    if today is None:
        return None
    meeting = [
        p
        for p in tradeoff.points
        if not p.error
        and p.day_cost_pence <= today.day_cost_pence * (1 - saving_pct / 100)
        and p.rides_over_45_min <= today.rides_over_45_min
    ]
    return min(meeting, key=lambda p: (p.day_cost_pence, p.rides_over_45_min), default=None)


def _saving_pct(point: TradeoffPoint, today: TradeoffPoint | None) -> object:
    if today is None or not today.day_cost_pence or point.error:
        return ""
    return round(100 * (today.day_cost_pence - point.day_cost_pence) / today.day_cost_pence, 1)


def tradeoff_rows(tradeoff: Tradeoff) -> list[dict[str, object]]:
    """Today's arrangement (when known), then one row per point: pounds and minutes."""
    out: list[dict[str, object]] = []
    rows = ([tradeoff.today] if tradeoff.today is not None else []) + list(tradeoff.points)
    for p in rows:
        out.append(
            {
                "point": p.name,
                "ride_minute_value_gbp": "" if p.value_pence is None else p.value_pence / 100,
                "comfort_ride_factor": "" if p.comfort is None else p.comfort[0],
                "comfort_ride_extra_min": "" if p.comfort is None else p.comfort[1],
                "day_cost_gbp": round(p.day_cost_pence / 100, 2),
                "annual_cost_gbp": round(p.annual_cost_pence / 100, 2),
                "saving_vs_today_pct": "" if p.is_today else _saving_pct(p, tradeoff.today),
                "mean_ride_min": round(p.mean_ride_min, 1),
                "p95_ride_min": round(p.p95_ride_min, 1),
                "rides_over_45_min": p.rides_over_45_min,
                "rides_over_75_min": p.rides_over_75_min,
                "vehicles": p.num_vehicles,
                "unassigned": p.num_unassigned,
                "flagged": p.num_flagged,
            }
            | ({"error": p.error} if p.error else {})
        )
    return out


def write_tradeoff_chart(tradeoff: Tradeoff, path: Path, saving_pct: float) -> Path:
    """Day cost against rides over 45 minutes, one labelled point per value; today marked.

    Dashed guides: today's rides over 45 minutes (vertical) and ``saving_pct`` under
    today's cost (horizontal); a plan in the lower-left corner meets both. Uses
    matplotlib's Agg canvas directly (no pyplot, no global backend change).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(8, 5.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ok = [p for p in tradeoff.points if not p.error]
    values = [p for p in ok if not p.name.startswith(COMFORT_PREFIX)]
    limits = [p for p in ok if p.name.startswith(COMFORT_PREFIX)]
    for series, style in ((values, {"marker": "o"}), (limits, {"marker": "s", "ls": ":"})):
        if not series:
            continue
        xs = [p.rides_over_45_min for p in series]
        ys = [p.day_cost_pence / 100_000 for p in series]
        label = "value of a minute" if series is values else "comfort limit"
        ax.plot(xs, ys, color="#1f4e79", zorder=3, label=label, **style)  # type: ignore[arg-type]
        for p, x, y in zip(series, xs, ys, strict=True):
            ax.annotate(p.label, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    if limits:
        ax.legend(fontsize=8, loc="upper right")
    today = tradeoff.today
    if today is not None and not today.error:
        tx, ty = today.rides_over_45_min, today.day_cost_pence / 100_000
        ax.scatter([tx], [ty], marker="*", s=220, color="#c0504d", zorder=4)
        ax.annotate("today", (tx, ty), textcoords="offset points", xytext=(8, -4), fontsize=9)
        ax.axvline(tx, color="#c0504d", linestyle="--", alpha=0.5)
        ax.axhline(ty * (1 - saving_pct / 100), color="#c0504d", linestyle=":", alpha=0.5)
    ax.set_xlabel(f"Rides over {RIDE_THRESHOLDS_MIN[0]} minutes (AM + PM)")
    ax.set_ylabel("Day cost, £ thousand")
    ax.set_title(
        f"{tradeoff.scenario_name}: cost against long rides by ride-time policy",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.08, y=0.12)
    note = (
        f"Dashed: today's rides over 45 min; dotted: {saving_pct:.0f}% under today's cost. "
        f"Travel times: {tradeoff.travel_model}"
    )
    fig.text(0.01, 0.01, note, fontsize=7, color="#444444", wrap=True)
    fig.subplots_adjust(bottom=0.16)
    fig.savefig(path, format="png")
    return path


def tradeoff_to_dict(tradeoff: Tradeoff, saving_pct: float) -> dict[str, Any]:
    """JSON-ready: the rows and the answer of :func:`cheapest_meeting`."""
    best = cheapest_meeting(tradeoff, saving_pct)
    return {
        "scenario": tradeoff.scenario_name,
        "travel_model": tradeoff.travel_model,
        "saving_pct": saving_pct,
        "cheapest_meeting": None if best is None else best.name,
        "rows": tradeoff_rows(tradeoff),
    }


def write_tradeoff_outputs(
    tradeoff: Tradeoff, out_dir: Path, saving_pct: float = DEFAULT_SAVING_PCT
) -> list[Path]:
    """Write ``tradeoff.csv``, ``tradeoff.png`` and ``tradeoff.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = tradeoff_rows(tradeoff)
    columns = list(TRADEOFF_COLUMNS) + (["error"] if any("error" in r for r in rows) else [])
    return [
        write_csv(out_dir / "tradeoff.csv", columns, rows),
        write_tradeoff_chart(tradeoff, out_dir / "tradeoff.png", saving_pct),
        write_summary_json(tradeoff_to_dict(tradeoff, saving_pct), out_dir / "tradeoff.json"),
    ]


def _comfort_text(row: dict[str, object]) -> str:
    if row["comfort_ride_factor"] == "":
        return ""
    return f"{row['comfort_ride_factor']}/{row['comfort_ride_extra_min']}"


def format_tradeoff(tradeoff: Tradeoff, saving_pct: float = DEFAULT_SAVING_PCT) -> str:
    """The sweep as text lines, with the answer to the council's question."""
    lines = [
        f"{'point':<15}{'£/min':>7}{'comfort':>9}{'day £':>10}{'saving':>8}{'mean':>7}{'p95':>7}"
        f"{'>45':>6}{'>75':>6}{'vehicles':>10}"
    ]
    for row in tradeoff_rows(tradeoff):
        if "error" in row:
            lines.append(f"{row['point']!s:<15}  not planned: {row['error']}")
            continue
        saving = row["saving_vs_today_pct"]
        lines.append(
            f"{row['point']!s:<15}{row['ride_minute_value_gbp']!s:>7}"
            f"{_comfort_text(row):>9}"
            f"{float(str(row['day_cost_gbp'])):>10,.0f}"
            f"{(f'{saving}%' if saving != '' else ''):>8}"
            f"{row['mean_ride_min']!s:>7}{row['p95_ride_min']!s:>7}"
            f"{row['rides_over_45_min']!s:>6}{row['rides_over_75_min']!s:>6}"
            f"{row['vehicles']!s:>10}"
        )
    best = cheapest_meeting(tradeoff, saving_pct)
    if tradeoff.today is None:
        lines.append("No current arrangement: nothing to compare the sweep with.")
    elif best is None:
        lines.append(
            f"No point of the sweep is {saving_pct:.0f}% cheaper than today with no more "
            f"rides over 45 min than today's {tradeoff.today.rides_over_45_min}."
        )
    else:
        lines.append(
            f"Cheapest plan {saving_pct:.0f}% cheaper than today with no more rides over "
            f"45 min ({best.rides_over_45_min} vs {tradeoff.today.rides_over_45_min}): "
            f"{best.name}, £{best.day_cost_pence / 100:,.0f} a day."
        )
    lines.append(f"Travel times: {tradeoff.travel_model}")
    return "\n".join(lines)
