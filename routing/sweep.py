"""Many scenarios x policy variants in one job list: ``schoolrun sweep MANIFEST.toml``.

The national-modelling use (what would a 60-minute ride policy cost across many
councils?): every scenario folder of a manifest is planned as it is (``baseline``) and
under each variant, each (scenario, variant) an *item* on an executor
(:mod:`routing.executor`: the local pool or a Ray cluster), planned where it runs: the
folder is read, the travel matrix built, the plan solved (its parts in that worker,
``num_workers=1``) and checked, and one row comes back. A failed item (a bad folder, no
plan, a checker violation, a worker lost more often than Ray retries) is a row with its
``error``; the rest finish. Rows carry where and when each item ran (the timeline).

A manifest (paths relative to its own folder)::

    time_limit_s = 10            # per run (AM, PM) of each item
    runs = "AM,PM"               # optional
    seed = 0                     # optional
    solution_limit = 200         # optional: reproducible plans (see SolveParams)
    part_workers = 1             # optional: an item's parts at once, as Ray tasks too
                                 # (for Ray: a large council's parts spread; keep 1 on
                                 # the local pool, whose items already fill the cores)
    scenarios = ["../data/rutland", "../data/havering"]

    [[variant]]
    name = "ride60"
    overrides = "ride_limit_primary_min=60,ride_limit_secondary_min=90"
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from routing.dataset.columns import PUPILS_FILE
from routing.errors import InvalidScenarioError
from routing.executor import open_executor, where
from routing.model import Run, SolveParams
from routing.reports import write_csv
from routing.rides import RIDE_THRESHOLDS_MIN, ride_times_s
from routing.variants import BASELINE_NAME, parse_variant

logger = logging.getLogger(__name__)

SWEEP_COLUMNS = (
    "scenario",
    "variant",
    "annual_cost_gbp",
    "today_annual_cost_gbp",
    "saving_gbp",
    "rides_over_45_min",
    "rides_over_75_min",
    "unassigned",
    "pupils",
    "node",
    "started_s",
    "finished_s",
    "error",
)


@dataclass(frozen=True, slots=True)
class SweepItem:
    """One (scenario folder, variant) of a sweep; ``variant_text`` "" is the baseline."""

    index: int
    folder: Path
    variant_name: str
    variant_text: str
    params: SolveParams
    runs: tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One item's answer (pence, counts of rides, unix times), or its ``error``."""

    scenario: str
    variant: str
    annual_cost_pence: int = 0
    today_annual_pence: int | None = None
    rides_over_45_min: int = 0
    rides_over_75_min: int = 0
    num_unassigned: int = 0
    num_pupils: int = 0
    node: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0
    error: str = ""


@dataclass(frozen=True, slots=True)
class Manifest:
    """A sweep's items, in manifest order (scenario by scenario, baseline first)."""

    path: Path
    items: tuple[SweepItem, ...]


def _field(data: dict[str, Any], key: str, kind: type, path: Path, default: Any) -> Any:
    value = data.get(key, default)
    wrong = value is not None and not isinstance(value, kind)
    if wrong or isinstance(value, bool):
        msg = f"{path}: '{key}' must be a {kind.__name__}, got {value!r}."
        raise InvalidScenarioError(msg)
    return value


def read_manifest(path: Path) -> Manifest:
    """Read a sweep manifest (see the module docstring) into its items.

    Raises
    ------
    InvalidScenarioError
        If the file is not TOML, names no scenario, a scenario folder is missing, a
        variant does not parse, or a setting has the wrong type.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        msg = f"{path}: cannot read the sweep manifest: {err}."
        raise InvalidScenarioError(msg) from err
    time_limit = data.get("time_limit_s", 10.0)
    if isinstance(time_limit, int) and not isinstance(time_limit, bool):
        time_limit = float(time_limit)
    _field({"time_limit_s": time_limit}, "time_limit_s", float, path, None)
    seed = _field(data, "seed", int, path, 0)
    limit = _field(data, "solution_limit", int, path, None)
    part_workers = _field(data, "part_workers", int, path, 1)
    runs_text = _field(data, "runs", str, path, "AM,PM")
    try:
        runs = tuple(Run(r.strip().upper()) for r in runs_text.split(",") if r.strip())
    except ValueError as err:
        msg = f"{path}: 'runs' must be AM, PM or AM,PM, got '{runs_text}'."
        raise InvalidScenarioError(msg) from err
    try:
        params = SolveParams(
            time_limit_s=float(time_limit),
            seed=seed,
            num_workers=part_workers,
            solution_limit=limit,
        )
    except InvalidScenarioError as err:
        msg = f"{path}: {err}"
        raise InvalidScenarioError(msg) from err
    folders = _field(data, "scenarios", list, path, [])
    if not folders:
        msg = f"{path}: 'scenarios' names no scenario folder."
        raise InvalidScenarioError(msg)
    variants = [(BASELINE_NAME, "")]
    for k, entry in enumerate(_field(data, "variant", list, path, [])):
        text = f"{entry.get('name', '')}={entry.get('overrides', '')}"
        try:
            parse_variant(text)
        except InvalidScenarioError as err:
            msg = f"{path}: variant {k + 1}: {err}"
            raise InvalidScenarioError(msg) from err
        variants.append((str(entry["name"]), text))
    items: list[SweepItem] = []
    for folder_text in folders:
        folder = (path.parent / str(folder_text)).resolve()
        if not folder.is_dir():
            msg = f"{path}: scenario folder '{folder_text}' does not exist."
            raise InvalidScenarioError(msg)
        for name, text in variants:
            items.append(SweepItem(len(items), folder, name, text, params, runs or (Run.AM,)))
    return Manifest(path, tuple(items))


def plan_sweep_item(item: SweepItem) -> SweepRow:
    """Plan one item where it runs (this process or an executor's worker).

    Any failure is the row's ``error`` (its type and message), so one bad scenario or
    variant never stops a sweep.
    """
    from routing.baseline import current_plan
    from routing.costing import plan_cost
    from routing.dataset import load_scenario
    from routing.pipeline import build_matrix, plan_scenario
    from routing.variants import apply_variant, personal_budgets

    started = time.time()
    scenario_name = item.folder.name
    try:
        scenario = load_scenario(item.folder)
        scenario_name = scenario.name
        matrix, _ = build_matrix(scenario, item.folder)
        planned = scenario
        budget_ids: tuple[str, ...] = ()
        if item.variant_text:
            variant = parse_variant(item.variant_text)
            planned = apply_variant(scenario, variant, base_dir=item.folder)
            budget_ids = variant.budget_pupil_ids
            if planned.pupils != scenario.pupils or planned.schools != scenario.schools:
                matrix, _ = build_matrix(planned, item.folder)
        plan = plan_scenario(planned, matrix, item.params, runs=item.runs).plan
        cost = plan_cost(planned, plan, matrix=matrix)
        budgets = personal_budgets(scenario, matrix, budget_ids)
        today = None
        if scenario.current_routes:
            today = plan_cost(scenario, current_plan(scenario, matrix), matrix=matrix).annual_pence
        rides = ride_times_s(plan).values()
        lo, hi = RIDE_THRESHOLDS_MIN
        return SweepRow(
            scenario=scenario_name,
            variant=item.variant_name,
            annual_cost_pence=cost.annual_pence + sum(b.annual_pence for b in budgets),
            today_annual_pence=today,
            rides_over_45_min=sum(1 for s in rides if s > lo * 60),
            rides_over_75_min=sum(1 for s in rides if s > hi * 60),
            num_unassigned=len({u.pupil_id for u in plan.unassigned}),
            num_pupils=cost.num_pupils + len(budgets),
            node=where(),
            started_at=started,
            finished_at=time.time(),
        )
    except Exception as err:  # an error row, by design: the rest of the sweep goes on
        # The type only: a message can name a pupil, and logs carry no pupil data.
        logger.warning("sweep item %d failed: %s", item.index, type(err).__name__)
        return _error_row(item, f"{type(err).__name__}: {err}", scenario_name, started)


def _error_row(item: SweepItem, error: str, scenario: str = "", started: float = 0.0) -> SweepRow:
    return SweepRow(
        scenario=scenario or item.folder.name,
        variant=item.variant_name,
        node=where(),
        started_at=started or time.time(),
        finished_at=time.time(),
        error=error,
    )


def run_sweep(
    items: Sequence[SweepItem],
    executor: str = "local",
    *,
    max_workers: int = 2,
    on_row: Callable[[SweepRow], None] | None = None,
) -> list[SweepRow]:
    """Every item on ``executor`` at once; rows in item order, ``on_row`` as each ends.

    Parameters
    ----------
    items
        From :func:`read_manifest`.
    executor
        ``local`` (a pool of ``max_workers`` processes) or ``ray`` (every item a Ray task,
        retried if its worker dies; the cluster's CPUs bound how many run at once).
    """
    rows: dict[int, SweepRow] = {}
    with open_executor(executor, max_workers=max_workers) as pool:
        # An item's own parts (``part_workers`` > 1) fan out on the same kind of executor.
        futures: dict[Future[SweepRow], SweepItem] = {
            pool.submit(plan_sweep_item, _on(item, executor)): item
            for item in submission_order(items)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = futures[fut]
                try:
                    row = fut.result()
                except Exception as err:  # the worker itself was lost (retries spent)
                    row = _error_row(item, f"{type(err).__name__}: {err}")
                rows[item.index] = row
                if on_row is not None:
                    on_row(row)
    return [rows[item.index] for item in items]


def submission_order(items: Sequence[SweepItem]) -> list[SweepItem]:
    """The items largest scenario first (ties in manifest order), the order they are
    handed to the executor.

    A sweep's items differ in size by two orders of magnitude (a small council and a
    county); started in manifest order, the largest may start last and run alone while
    the other CPUs stand idle (longest-processing-time-first scheduling avoids that). The
    size is the bytes of the folder's ``pupils.csv``, a free estimate of its pupils; a
    folder without one counts as 0 (its item fails fast with its error row). Measured with
    ``scripts/ray_scaleout.py --solution-limit 40`` (docs/ray.md): in manifest order the
    176-pupil scenario came last and one node ran its third variant alone for the last
    11 s of 89 s.
    """

    def size(item: SweepItem) -> int:
        try:
            return (item.folder / PUPILS_FILE).stat().st_size
        except OSError:
            return 0

    return sorted(items, key=lambda item: (-size(item), item.index))


def _on(item: SweepItem, executor: str) -> SweepItem:
    return replace(item, params=replace(item.params, executor=executor))


def sweep_rows(rows: Sequence[SweepRow]) -> list[dict[str, object]]:
    """Rows for ``sweep.csv``: pounds, counts, seconds after the first item started."""
    t0 = min((r.started_at for r in rows), default=0.0)
    out: list[dict[str, object]] = []
    for r in rows:
        ok = not r.error
        today = r.today_annual_pence
        out.append(
            {
                "scenario": r.scenario,
                "variant": r.variant,
                "annual_cost_gbp": round(r.annual_cost_pence / 100, 2) if ok else "",
                "today_annual_cost_gbp": "" if today is None else round(today / 100, 2),
                "saving_gbp": (
                    round((today - r.annual_cost_pence) / 100, 2) if ok and today else ""
                ),
                "rides_over_45_min": r.rides_over_45_min if ok else "",
                "rides_over_75_min": r.rides_over_75_min if ok else "",
                "unassigned": r.num_unassigned if ok else "",
                "pupils": r.num_pupils if ok else "",
                "node": r.node,
                "started_s": round(r.started_at - t0, 2),
                "finished_s": round(r.finished_at - t0, 2),
                "error": r.error,
            }
        )
    return out


def write_sweep_chart(rows: Sequence[SweepRow], path: Path) -> Path:
    """Two panels: annual cost by scenario and variant (bars), and the timeline (one lane
    per worker, a bar per item from start to finish). Agg canvas, no pyplot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 8), dpi=100)
    FigureCanvasAgg(fig)
    cost_ax, time_ax = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    scenarios = list(dict.fromkeys(r.scenario for r in rows))
    variants = list(dict.fromkeys(r.variant for r in rows))
    width = 0.8 / max(len(variants), 1)
    for k, variant in enumerate(variants):
        xs, ys = [], []
        for i, name in enumerate(scenarios):
            for r in rows:
                if r.scenario == name and r.variant == variant and not r.error:
                    xs.append(i + k * width)
                    ys.append(r.annual_cost_pence / 100_000_000)
        cost_ax.bar(xs, ys, width=width, label=variant)
    cost_ax.set_xticks([i + 0.4 - width / 2 for i in range(len(scenarios))], scenarios)
    cost_ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    cost_ax.set_ylabel("Annual cost, £ million")
    cost_ax.legend(fontsize=8)
    cost_ax.set_title("Annual cost by scenario and variant (error rows left out)", fontsize=10)
    t0 = min((r.started_at for r in rows), default=0.0)
    lanes = sorted({r.node for r in rows})
    for r in rows:
        lane = lanes.index(r.node)
        colour = "#c0504d" if r.error else "#1f4e79"
        time_ax.barh(lane, r.finished_at - r.started_at, left=r.started_at - t0, color=colour)
    time_ax.set_yticks(range(len(lanes)), lanes, fontsize=7)
    time_ax.set_xlabel("Seconds after the first item started")
    time_ax.set_title("Timeline: one lane per worker (node:pid), red = error row", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def write_sweep_outputs(rows: Sequence[SweepRow], out_dir: Path) -> list[Path]:
    """``sweep.csv`` (formula-safe) and ``sweep.png`` in ``out_dir``."""
    return [
        write_csv(out_dir / "sweep.csv", SWEEP_COLUMNS, sweep_rows(rows)),
        write_sweep_chart(rows, out_dir / "sweep.png"),
    ]
