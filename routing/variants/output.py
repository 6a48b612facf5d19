"""The side-by-side table written out: rows, CSV, chart, terminal text and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routing.reports import write_csv, write_summary_json
from routing.variants.compare import VariantTable
from routing.variants.overrides import BASELINE_NAME, CURRENT_NAME


def variant_rows(table: VariantTable) -> list[dict[str, object]]:
    """The table as plain rows (pounds and minutes rounded), the CSV's and the API's shape.

    ``change_vs_baseline_gbp``/``_pct`` compare each row's annual cost with the baseline
    plan's (negative = cheaper). ``vehicles_<type>`` columns hold the vehicles of each
    type.
    """
    base = next((r for r in table.rows if r.name == BASELINE_NAME and not r.error), None)
    types = sorted({name for r in table.rows for name, _ in r.vehicles_by_type})
    out: list[dict[str, object]] = []
    for r in table.rows:
        change: object = ""
        change_pct: object = ""
        if base is not None and not r.error:
            change = round((r.annual_cost_pence - base.annual_cost_pence) / 100, 2)
            if base.annual_cost_pence:
                change_pct = round(
                    100 * (r.annual_cost_pence - base.annual_cost_pence) / base.annual_cost_pence,
                    1,
                )
        row: dict[str, object] = {
            "variant": r.name,
            "description": r.description,
            "annual_cost_gbp": round(r.annual_cost_pence / 100, 2),
            "change_vs_baseline_gbp": change,
            "change_vs_baseline_pct": change_pct,
            "cost_per_pupil_gbp": round(r.cost_per_pupil_pence / 100, 2),
            "day_cost_gbp": round(r.day_cost_pence / 100, 2),
            "num_pupils": r.num_pupils,
            "num_vehicles": r.num_vehicles,
            "num_assistants": r.num_assistants,
            "pupils_over_45_min": r.num_pupils_over_45_min,
            "pupils_over_75_min": r.num_pupils_over_75_min,
            "mean_ride_min": round(r.mean_ride_min, 1),
            "max_ride_min": round(r.max_ride_min, 1),
            "num_unassigned": r.num_unassigned,
            "estimated_annual_gbp": round(r.estimated_annual_pence / 100, 2),
            "num_budget_pupils": r.num_budget_pupils,
            "budget_annual_gbp": round(r.budget_annual_pence / 100, 2),
            "error": r.error,
        }
        counts = dict(r.vehicles_by_type)
        for name in types:
            row[f"vehicles_{name}"] = counts.get(name, 0)
        out.append(row)
    return out


def write_variant_csv(table: VariantTable, path: Path) -> Path:
    """Write the side-by-side table as a formula-safe CSV (see :func:`variant_rows`)."""
    rows = variant_rows(table)
    columns = list(rows[0]) if rows else ["variant"]
    return write_csv(path, columns, rows)


def write_variant_chart(table: VariantTable, path: Path) -> Path:
    """Write a PNG chart of annual cost against mean ride time, one labelled point each.

    The worst ride is drawn as a bar on the same row so the spread shows. A variant whose
    cost includes estimated solo journeys for unassigned pupils is drawn hollow and
    starred, with a footnote. Labels of points close together are stacked, not overlaid.
    Uses matplotlib's Agg canvas directly (no pyplot, no global backend change).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(8, 5.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ok = [r for r in table.rows if not r.error]
    costs_k = [r.annual_cost_pence / 100_000 for r in ok]
    rides = [r.mean_ride_min for r in ok] + [r.max_ride_min for r in ok]
    x_span = max(rides, default=1.0) - min(rides, default=0.0) or 1.0
    y_span = max(costs_k, default=1.0) - min(costs_k, default=0.0) or 1.0
    placed: list[tuple[float, float]] = []
    for r, cost_k in zip(ok, costs_k, strict=True):
        colour = (
            "#888888"
            if r.name == CURRENT_NAME
            else ("#1f4e79" if r.name == BASELINE_NAME else "#c0504d")
        )
        estimated = r.num_unassigned > 0
        ax.plot([r.mean_ride_min, r.max_ride_min], [cost_k, cost_k], color=colour, alpha=0.25)
        ax.scatter([r.max_ride_min], [cost_k], marker="|", s=120, color=colour, alpha=0.5)
        ax.scatter(
            [r.mean_ride_min],
            [cost_k],
            s=60,
            zorder=3,
            facecolors="white" if estimated else colour,
            edgecolors=colour,
            linewidths=1.5,
        )
        near = sum(
            1
            for x, y in placed
            if abs(x - r.mean_ride_min) < 0.08 * x_span and abs(y - cost_k) < 0.05 * y_span
        )
        placed.append((r.mean_ride_min, cost_k))
        ax.annotate(
            r.name + ("*" if estimated else ""),
            (r.mean_ride_min, cost_k),
            textcoords="offset points",
            xytext=(6, 6 + 11 * near),
            fontsize=9,
        )
    ax.margins(x=0.06, y=0.18)  # room for stacked labels inside the axes
    ax.set_xlabel("Ride time, minutes (dot: mean; bar: longest)")
    ax.set_ylabel("Annual cost, £ thousand")
    ax.set_title(f"{table.scenario_name}: cost against ride time by variant", fontsize=11)
    ax.grid(True, alpha=0.3)
    lines = [f"Travel times: {table.travel_model}"]
    if any(r.num_unassigned for r in ok):
        lines.append(
            "* hollow: some pupils unassigned, priced as estimated solo journeys "
            "(a longer time limit may place them)"
        )
    failed = [r.name for r in table.rows if r.error]
    if failed:
        lines.append(f"Not planned: {', '.join(failed)}")
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color="#444444", wrap=True)
    fig.subplots_adjust(bottom=0.2)
    fig.savefig(path, format="png")
    return path


def format_variant_table(table: VariantTable) -> str:
    """The table as fixed-width text for a terminal (the CLI prints it)."""
    headers = (
        "variant", "annual £", "vs base", "£/pupil", "vehicles", "PAs", ">45", ">75",
        "mean min", "max min", "unassigned",
    )  # fmt: skip
    lines_data: list[tuple[str, ...]] = []
    for row in variant_rows(table):
        if row["error"]:
            lines_data.append((str(row["variant"]), f"not planned: {row['error']}"))
            continue
        pct = row["change_vs_baseline_pct"]
        lines_data.append(
            (
                str(row["variant"]),
                f"{float(str(row['annual_cost_gbp'])):,.0f}",
                f"{pct:+.1f}%" if isinstance(pct, float) else "",
                f"{float(str(row['cost_per_pupil_gbp'])):,.0f}",
                str(row["num_vehicles"]),
                str(row["num_assistants"]),
                str(row["pupils_over_45_min"]),
                str(row["pupils_over_75_min"]),
                f"{row['mean_ride_min']}",
                f"{row['max_ride_min']}",
                str(row["num_unassigned"]),
            )
        )
    widths = [len(h) for h in headers]
    for cells in lines_data:
        if len(cells) == len(headers):
            widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
    out = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                     enumerate(zip(headers, widths, strict=True)))]  # fmt: skip
    for cells in lines_data:
        if len(cells) != len(headers):
            out.append(f"{cells[0].ljust(widths[0])}  {cells[1]}")
            continue
        out.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    descriptions = [f"  {r.name}: {r.description}" for r in table.rows]
    return "\n".join([*out, "", *descriptions, f"Travel times: {table.travel_model}"])


def variant_table_to_dict(table: VariantTable) -> dict[str, Any]:
    """JSON-ready: scenario, travel model and the rows of :func:`variant_rows`."""
    return {
        "scenario": table.scenario_name,
        "travel_model": table.travel_model,
        "rows": variant_rows(table),
    }


def write_variant_outputs(table: VariantTable, out_dir: Path) -> list[Path]:
    """Write ``variants.csv``, ``variants.png`` and ``variants.json`` under ``out_dir``.

    Returns
    -------
    list of Path
        The files written (print the table with :func:`format_variant_table`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_variant_csv(table, out_dir / "variants.csv"),
        write_variant_chart(table, out_dir / "variants.png"),
        write_summary_json(variant_table_to_dict(table), out_dir / "variants.json"),
    ]
