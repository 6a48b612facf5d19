"""What the ``schoolrun`` commands show and write: text summaries and output folders.

Pure formatting and file writing over the pipeline's results; ``cli.py`` prints the text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from routing.comparison import Comparison, TableRow, comparison_table, comparison_to_dict
from routing.model import Plan, Run
from routing.pipeline import PlanResult
from routing.reports import road_path_coords, write_plan_files, write_summary_json

Write = Callable[[str], None]


def format_gbp(pence: int) -> str:
    """Pence as '£1,234' (whole pounds) or '£12.34' below £100, for tables."""
    if abs(pence) < 10_000:
        return f"£{pence / 100:,.2f}"
    return f"£{round(pence / 100):,}"


def _cell(row: TableRow, value: float) -> str:
    if row.unit == "pence":
        return format_gbp(round(value))
    if row.unit == "min":
        return f"{value:.1f} min"
    if row.unit == "pct":
        return f"{value:.1f}%"
    return f"{round(value):,}"


def _change(row: TableRow) -> str:
    if row.unit == "pence":
        sign = "-" if row.change < 0 else "+"
        return f"{sign}{format_gbp(abs(round(row.change)))}"
    if row.unit == "min":
        return f"{row.change:+.1f} min"
    return f"{round(row.change):+,}"


def comparison_lines(comparison: Comparison) -> list[str]:
    """The plan-against-today table as aligned text lines."""
    rows = comparison_table(comparison)
    width = max(len(r.label) for r in rows) + 2
    lines = [f"{'':<{width}}{'Today':>14}{'Plan':>14}{'Change':>14}"]
    for row in rows:
        lines.append(
            f"{row.label:<{width}}{_cell(row, row.current):>14}"
            f"{_cell(row, row.plan):>14}{_change(row):>14}"
        )
    return lines


def _pupil_run_lines(
    title: str, items: Sequence[tuple[str, Run, str, str]], more_in: str, limit: int = 12
) -> list[str]:
    """A title, counts by run and code, then the first pupils (id, run, code, words)."""
    counts = Counter((run, code) for _, run, code, _ in items)
    lines = [title]
    for (run, code), count in sorted(counts.items()):
        lines.append(f"  {run.value} {code}: {count}")
    for pupil_id, run, _, words in items[:limit]:
        lines.append(f"  {pupil_id} {run.value}: {words}")
    if len(items) > limit:
        lines.append(f"  ... {len(items) - limit} more in {more_in}")
    return lines


def _unassigned_lines(plan: Plan) -> list[str]:
    if not plan.unassigned:
        return ["Unassigned: none"]
    return _pupil_run_lines(
        f"Unassigned: {len(plan.unassigned)} pupil-runs (kept on a priced solo journey)",
        [(u.pupil_id, u.run, u.code, u.reason) for u in plan.unassigned],
        "unassigned.csv",
    )


def _flag_lines(plan: Plan) -> list[str]:
    if not plan.flags:
        return []
    return _pupil_run_lines(
        f"Flagged for an officer: {len(plan.flags)} pupil-runs carried on their own longer "
        "limit (the direct trip alone is over the policy limit)",
        [(f.pupil_id, f.run, f.code, f.message) for f in plan.flags],
        "routes.csv and summary.json",
    )


def format_summary(result: PlanResult, *, wall_s: float) -> str:
    """The plan's summary as a user reads it after ``schoolrun plan``.

    Parameters
    ----------
    result
        The checked, priced plan.
    wall_s
        Wall-clock seconds of the whole command, for the record.
    """
    plan, comparison, scenario = result.plan, result.comparison, result.scenario
    runs = comparison.runs
    lines = [f"SchoolRun plan for '{scenario.name}' ({' + '.join(r.value for r in runs)})", ""]
    if result.matrix.is_approximate:
        lines += [
            "!! TRAVEL TIMES ARE APPROXIMATE !!",
            f"   {plan.travel_model}",
            "   Pickup times and costs are estimates until a road network is added",
            "   (see README: schoolrun network fetch).",
        ]
    else:
        lines.append(f"Travel times: {plan.travel_model}")
    unreachable = getattr(result.matrix, "unreachable", ())
    if unreachable:
        lines.append(f"Locations off the road network: {len(unreachable)}")
    lines += [
        f"Time: {wall_s:.0f} s in all (travel matrix {result.matrix_seconds:.1f} s, "
        f"solve {result.solve_seconds:.0f} s)",
        f"Checker: {len(result.violations)} violations in {len(plan.routes)} routes",
        "",
    ]
    for run in runs:
        routes = plan.routes_for(run)
        carried = sum(len(r.pupil_ids()) for r in routes)
        by_type = Counter(r.vehicle_type for r in routes)
        assistants = sum(r.has_assistant for r in routes)
        types = ", ".join(f"{n} {name}" for name, n in sorted(by_type.items()))
        lines.append(
            f"{run.value}: {carried} pupils on {len(routes)} routes ({types}); "
            f"{assistants} with a passenger assistant"
        )
    lines += ["", *_unassigned_lines(plan), *_flag_lines(plan), ""]
    lines += comparison_lines(comparison)
    pct = comparison.saving_pct
    verb = "Saving" if comparison.saving_day_pence >= 0 else "Extra cost"
    lines += [
        "",
        f"{verb}: {format_gbp(abs(comparison.saving_day_pence))} a day, "
        f"{format_gbp(abs(comparison.saving_annual_pence))} a year "
        f"({abs(pct):.1f}% of today's {format_gbp(comparison.current_cost.annual_pence)}; "
        f"{scenario.policy.school_days_per_year} school days)",
    ]
    if comparison.current_violations:
        kinds = Counter(v.kind.value for v in comparison.current_violations)
        lines.append(
            "Today's arrangement breaks "
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            + " rule(s) (for information: the plan breaks none)"
        )
    for note in plan.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def summary_dict(result: PlanResult, *, wall_s: float) -> dict[str, Any]:
    """summary.json: the comparison, timings, routes per run and unassigned reasons."""
    plan = result.plan
    return {
        "scenario": result.scenario.name,
        "travel_model": plan.travel_model,
        "travel_model_is_approximate": result.matrix.is_approximate,
        "wall_seconds": round(wall_s, 1),
        "matrix_seconds": round(result.matrix_seconds, 2),
        "solve_seconds": round(result.solve_seconds, 1),
        "num_violations": len(result.violations),
        "runs": {
            run.value: {
                "num_routes": len(plan.routes_for(run)),
                "num_pupils": sum(len(r.pupil_ids()) for r in plan.routes_for(run)),
                "num_assistants": sum(r.has_assistant for r in plan.routes_for(run)),
            }
            for run in result.comparison.runs
        },
        "num_unassigned": len(plan.unassigned),
        "unassigned_by_code": dict(Counter(u.code for u in plan.unassigned)),
        "num_flagged": len(plan.flags),
        "flagged_by_code": dict(Counter(f.code for f in plan.flags)),
        "flags": [
            {"pupil_id": f.pupil_id, "run": f.run.value, "code": f.code, "message": f.message}
            for f in plan.flags
        ],
        "collection_points": _walks_dict(plan),
        "comparison": comparison_to_dict(result.comparison),
        "notes": list(plan.notes),
    }


def _walks_dict(plan: Plan) -> dict[str, Any]:
    """How many pupils walk to a collection point, to how many points, and how far."""
    metres = [w.walk_m for w in plan.walks]
    return {
        "num_pupils_walking": len(metres),
        "num_points_used": len({w.point_id for w in plan.walks}),
        "mean_walk_m": round(sum(metres) / len(metres), 1) if metres else None,
        "max_walk_m": max(metres) if metres else None,
        "walks_are_estimated": any(w.is_estimated for w in plan.walks),
    }


def write_plan_outputs(
    result: PlanResult, out_dir: Path, *, scenario_dir: Path | None, wall_s: float
) -> list[Path]:
    """Write every output file of ``schoolrun plan`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path_coords = road_path_coords(result.scenario, scenario_dir)
    written = write_plan_files(result.scenario, result.plan, out_dir, path_coords=path_coords)
    written.append(
        write_summary_json(summary_dict(result, wall_s=wall_s), out_dir / "summary.json")
    )
    return written
