"""The ``schoolrun`` command: the one module in ``routing/`` that prints.

Sub-commands are thin: parse arguments, call one routing (or api) function, print.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from routing.errors import RoutingError
from routing.model import Run, SolveParams, SolveProgress
from routing.plan_locks import Pin

logger = logging.getLogger(__name__)


def _runs(text: str) -> tuple[Run, ...]:
    wanted = [part.strip().upper() for part in text.split(",") if part.strip()]
    if wanted in (["BOTH"], []):
        return (Run.AM, Run.PM)
    try:
        return tuple(Run(part) for part in wanted)
    except ValueError as err:
        msg = f"--runs must be AM, PM or AM,PM, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from err


class _ProgressBar:
    """A progress bar on stderr fed by SolveProgress events (one bar per run).

    When stderr is not a terminal (CI logs, files) a bar's redraws would each become a
    line, so one plain line is written per part finished instead.
    """

    def __init__(self, *, enabled: bool, interactive: bool | None = None) -> None:
        self.enabled = enabled
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bars: dict[Run, Any] = {}
        self._parts_done: dict[Run, int] = {}

    def __call__(self, event: SolveProgress) -> None:
        if not self.enabled:
            return
        if not self.interactive:
            if self._parts_done.get(event.run) != event.parts_done:
                self._parts_done[event.run] = event.parts_done
                best = _best_so_far(event)
                print(
                    f"{event.run.value} run: {event.parts_done}/{event.parts_total} part(s) "
                    f"done after {event.elapsed_s:.0f} s{', ' + best if best else ''}",
                    file=sys.stderr,
                    flush=True,
                )
            return
        from tqdm import tqdm

        bar = self._bars.get(event.run)
        if bar is None:
            bar = tqdm(
                total=max(event.parts_total, 1),
                desc=f"{event.run.value} run",
                unit="part",
                file=sys.stderr,
                leave=True,
            )
            self._bars[event.run] = bar
        bar.total = max(event.parts_total, 1)
        bar.n = event.parts_done
        if event.best_cost_pence is not None:
            bar.set_postfix_str(_best_so_far(event, "best "))
        bar.refresh()
        if event.parts_done >= event.parts_total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _best_so_far(event: SolveProgress, prefix: str = "") -> str:
    """'£12,345 so far, 67 rides over 45 min' (each part only when known)."""
    out = []
    if event.best_cost_pence is not None:
        out.append(f"{prefix}£{event.best_cost_pence / 100:,.0f} so far")
    if event.rides_over_45_min is not None:
        out.append(f"{event.rides_over_45_min:,} rides over 45 min")
    return ", ".join(out)


def _add_executor_args(parser: argparse.ArgumentParser, default: str | None) -> None:
    what = "parts of each run" if default else "the plans, all at once (default: one by one)"
    parser.add_argument(
        "--executor",
        choices=["local", "ray"],
        default=default,
        help=f"where the {what} run: local process pool or a Ray cluster",
    )
    parser.add_argument(
        "--ray-address",
        default=os.environ.get("SCHOOLRUN_RAY_ADDRESS"),
        help="Ray head to join (HOST:PORT or ray://HOST:10001; default "
        "$SCHOOLRUN_RAY_ADDRESS, else a local Ray instance)",
    )


def _connect(args: argparse.Namespace) -> None:
    """Join (or start) Ray once for this process when ``--executor ray``."""
    if args.executor == "ray":
        from routing.executor import connect_ray

        connect_ray(args.ray_address)


def _cmd_plan(args: argparse.Namespace) -> int:
    from routing.pipeline import plan_folder
    from routing.summary import format_summary, write_plan_outputs

    _connect(args)
    params = SolveParams(
        time_limit_s=args.time_limit,
        seed=args.seed,
        num_workers=args.workers,
        max_part_requests=args.max_part,
        executor=args.executor,
        search=args.search,
    )
    bar = _ProgressBar(enabled=not args.quiet)
    started = time.perf_counter()
    try:
        result = plan_folder(
            args.scenario,
            params,
            runs=args.runs,
            progress=bar,
            cache_dir=args.cache_dir,
        )
    finally:
        bar.close()
    wall_s = time.perf_counter() - started
    written = write_plan_outputs(result, args.out, scenario_dir=args.scenario, wall_s=wall_s)
    print(format_summary(result, wall_s=wall_s))
    top = [p.name for p in written if p.parent == args.out]
    print(
        f"\nWrote {', '.join(top)} (+ {len(written) - len(top)} school lists and route sheets)"
        f" to {args.out}/"
    )
    return 0


def _cmd_network_fetch(args: argparse.Namespace) -> int:
    from routing.network import fetch_network

    drive, walk = fetch_network(args.place, args.buffer_km, args.out)
    print(f"Saved drive graph to {drive}")
    print(f"Saved walk graph to {walk}")
    print("© OpenStreetMap contributors, ODbL 1.0: keep this attribution with the files.")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from routing.bench.harness import run_cli

    return run_cli(
        args.family,
        list(args.files),
        args.time_limit,
        args.seed,
        args.bks,
        args.json,
        print,
        workers=args.workers,
    )


def _cmd_eligibility(args: argparse.Namespace) -> int:
    from routing.dataset import load_scenario
    from routing.eligibility import format_eligibility_summary, write_eligibility_outputs
    from routing.pipeline import assess_source

    result = assess_source(load_scenario(args.scenario), args.scenario, with_walks=True)
    written = write_eligibility_outputs(result.decisions, result.walks_geojson, args.out)
    print(format_eligibility_summary(result.decisions))
    print(f"\nWrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from routing.dataset import load_scenario
    from routing.executor import open_executor
    from routing.pipeline import compare_source_variants
    from routing.variants import format_variant_table, write_variant_outputs

    _connect(args)
    params = SolveParams(time_limit_s=args.time_limit, seed=args.seed, num_workers=args.workers)
    with ExitStack() as stack:
        pool = None
        if args.executor is not None:
            pool = stack.enter_context(open_executor(args.executor, max_workers=args.workers))
        table = compare_source_variants(
            load_scenario(args.scenario),
            args.scenario,
            params,
            list(args.variant),
            cache_dir=args.cache_dir,
            base_dir=Path.cwd(),
            progress=lambda line: print(line, file=sys.stderr),
            executor=pool,
        )
    written = write_variant_outputs(table, args.out)
    print(format_variant_table(table))
    print(f"\nWrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def _cmd_tradeoff(args: argparse.Namespace) -> int:
    from routing.dataset import load_scenario
    from routing.executor import open_executor
    from routing.pipeline import matrix_builder, planner
    from routing.tradeoff import (
        format_tradeoff,
        parse_comfort,
        parse_values,
        run_tradeoff,
        write_tradeoff_outputs,
    )

    _connect(args)
    params = SolveParams(time_limit_s=args.time_limit, seed=args.seed, num_workers=args.workers)
    values = parse_values(args.values)
    comfort = parse_comfort(args.comfort) if args.comfort else ()
    scenario = load_scenario(args.scenario)
    with ExitStack() as stack:
        pool = None
        if args.executor is not None:
            pool = stack.enter_context(open_executor(args.executor, max_workers=args.workers))
            params = replace(params, num_workers=1)  # one level fans out: the points
        tradeoff = run_tradeoff(
            scenario,
            matrix_builder(args.scenario, cache_dir=args.cache_dir),
            planner(params, source_dir=args.scenario),
            values,
            comfort=comfort,
            progress=lambda line: print(line, file=sys.stderr),
            executor=pool,
        )
    written = write_tradeoff_outputs(tradeoff, args.out, args.saving_pct)
    print(format_tradeoff(tradeoff, args.saving_pct))
    print(f"\nWrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from routing.sweep import read_manifest, run_sweep, write_sweep_outputs

    manifest = read_manifest(args.manifest)
    _connect(args)
    started = time.perf_counter()
    with tqdm(
        total=len(manifest.items), desc="sweep", unit="item", file=sys.stderr, disable=args.quiet
    ) as bar:

        def on_row(row: Any) -> None:
            bar.update(1)
            if row.error:
                first = row.error.splitlines()[0]
                bar.write(f"{row.scenario} / {row.variant}: {first}", file=sys.stderr)

        rows = run_sweep(manifest.items, args.executor, max_workers=args.workers, on_row=on_row)
    written = write_sweep_outputs(rows, args.out)
    failed = sum(1 for r in rows if r.error)
    print(
        f"{len(rows)} item(s) in {time.perf_counter() - started:.1f} s on {args.executor}, "
        f"{failed} error row(s); wrote {', '.join(p.name for p in written)} to {args.out}/"
    )
    return 0


def _cmd_modes(args: argparse.Namespace) -> int:
    from routing.modes import format_modes, price_modes_folder, write_modes_outputs

    started = time.perf_counter()
    report = price_modes_folder(args.scenario, args.plan, cache_dir=args.cache_dir)
    written = write_modes_outputs(report, args.out)
    print(format_modes(report))
    print(
        f"\nWrote {', '.join(p.name for p in written)} to {args.out}/ in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def _cmd_lots(args: argparse.Namespace) -> int:
    from routing.lots import (
        DEFAULT_PRICE_MODEL,
        build_lots,
        format_lots,
        load_price_model,
        read_bids,
        write_lots_outputs,
    )
    from routing.plan_file import read_plan_file

    bids = read_bids(args.bids) if args.bids is not None else None
    model = load_price_model(args.price_model or DEFAULT_PRICE_MODEL)
    report = build_lots(read_plan_file(args.plan), model, bids=bids)
    written = write_lots_outputs(report, args.out)
    print(format_lots(report))
    print(f"\nWrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def _pin(text: str) -> Pin:
    """``P0042=AM-007``: pupil P0042 stays on route AM-007 (its run from the route id)."""
    pupil_id, sep, route_id = text.partition("=")
    run_text = route_id.split("-", 1)[0]
    if not sep or not pupil_id or run_text not in ("AM", "PM"):
        msg = f"--pin '{text}' must be PUPIL=ROUTE, e.g. P0042=AM-007."
        raise argparse.ArgumentTypeError(msg)
    return Pin(pupil_id, Run(run_text), route_id)


def _cmd_replan(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from routing.dataset import load_scenario
    from routing.pipeline import replan_source
    from routing.plan_diff import CHANGES_COLUMNS, changes_rows, upheaval
    from routing.plan_file import read_locks, read_plan, write_locks
    from routing.replan import UpheavalPrices
    from routing.reports import write_csv
    from routing.summary import format_summary, write_plan_outputs

    scenario = load_scenario(args.scenario)
    previous = read_plan(args.previous)
    locks = read_locks(args.previous)
    locks = replace(
        locks,
        locked_route_ids=locks.locked_route_ids | frozenset(args.lock),
        pins=(*locks.pins, *args.pin),
    )
    params = SolveParams(seed=args.seed, time_limit_s=args.time_limit, num_workers=1)
    prices = UpheavalPrices(leftover_time_limit_s=args.time_limit)
    started = time.perf_counter()
    result, found = replan_source(
        scenario,
        args.scenario,
        previous,
        params,
        locks=locks,
        prices=prices,
        cache_dir=args.cache_dir,
    )
    wall_s = time.perf_counter() - started
    write_plan_outputs(result, args.out, scenario_dir=args.scenario, wall_s=wall_s)
    write_locks(locks, args.out)
    rows = changes_rows(found.comparison)
    write_csv(args.out / "changes.csv", CHANGES_COLUMNS, rows)
    print(format_summary(result, wall_s=wall_s))
    changed = {c.pupil_id for c in found.comparison.changes}
    print(
        f"\nRe-plan against {args.previous}: {len(found.kept_route_ids)} of "
        f"{len(previous.routes)} routes kept whole, {len(locks.locked_route_ids)} locked; "
        f"{len(changed)} pupil(s) with a change ({upheaval(previous, result.plan)} changed "
        f"vehicle or moved more than 5 min); day cost "
        f"{found.comparison.cost_change_pence / 100:+,.2f} GBP"
    )
    print(f"Wrote the plan, changes.csv ({len(rows)} rows) and locks.json to {args.out}/")
    return 0


def _move(text: str) -> tuple[Pin, int | None]:
    """``P0042=AM-007`` or ``P0042=AM-007@0`` (as the route's first home stop)."""
    target, _, position = text.partition("@")
    if position and not position.isdigit():
        msg = f"--move '{text}': the position after '@' must be a whole number."
        raise argparse.ArgumentTypeError(msg)
    return _pin(target), int(position) if position else None


def _reorder(text: str) -> tuple[str, list[str]]:
    """``AM-003=P0042,P0017,...``: the route's homes in the new visiting order."""
    route_id, sep, order = text.partition("=")
    if not sep or not route_id or not order:
        msg = f"--reorder '{text}' must be ROUTE=PUPIL,PUPIL,..."
        raise argparse.ArgumentTypeError(msg)
    return route_id, [p for p in order.split(",") if p]


def _cmd_edit(args: argparse.Namespace) -> int:
    from routing.comparison import compare
    from routing.dataset import load_scenario
    from routing.pipeline import PlanResult, build_matrix
    from routing.plan_diff import CHANGES_COLUMNS, changes_rows, compare_plans
    from routing.plan_edit import lock_route, move_pupil, pin_pupil, reorder_route
    from routing.plan_file import read_locks, read_plan, write_locks
    from routing.reports import write_csv
    from routing.summary import write_plan_outputs

    scenario = load_scenario(args.scenario)
    matrix, matrix_s = build_matrix(scenario, args.scenario, cache_dir=args.cache_dir)
    before = plan = read_plan(args.plan)
    locks = read_locks(args.plan)
    for route_id in args.lock:
        locks = lock_route(plan, locks, route_id)
    for route_id in args.unlock:
        locks = lock_route(plan, locks, route_id, locked=False)
    results = []
    world = (scenario, matrix)
    for pin in args.pin:
        results.append(
            pin_pupil(*world, plan, locks, pin.pupil_id, pin.run, pin.route_id, force=args.force)
        )
        plan, locks = results[-1].plan, results[-1].locks
    if args.move is not None:
        (pin, position) = args.move
        results.append(
            move_pupil(
                *world,
                plan,
                locks,
                pin.pupil_id,
                pin.run,
                pin.route_id,
                home_position=position,
                force=args.force,
            )
        )
        plan, locks = results[-1].plan, results[-1].locks
    if args.reorder is not None:
        route_id, order = args.reorder
        results.append(reorder_route(*world, plan, locks, route_id, order, force=args.force))
        plan, locks = results[-1].plan, results[-1].locks
    result = PlanResult(scenario, matrix, plan, compare(scenario, matrix, plan), (), matrix_s, 0.0)
    write_plan_outputs(result, args.out, scenario_dir=args.scenario, wall_s=0.0)
    write_locks(locks, args.out)
    diff = compare_plans(before, plan)
    write_csv(args.out / "changes.csv", CHANGES_COLUMNS, changes_rows(diff))
    for found in results:
        verdict = (
            f"BROKEN: {len(found.violations)} rule(s)" if found.is_broken else "holds every rule"
        )
        print(f"{found.description}: {verdict}; day cost {found.cost_change_pence / 100:+,.2f} GBP")
        for v in found.violations[:10]:
            print(f"  {v}")
    print(
        f"{len(locks.locked_route_ids)} route(s) locked, {len(locks.pins)} pupil(s) pinned; "
        f"{len(diff.changes)} change(s) in changes.csv; wrote the plan to {args.out}/"
    )
    return 0


def _add_edit(sub: Any) -> None:
    """The `schoolrun edit` sub-command."""
    edit = sub.add_parser("edit", help="lock, pin, move or reorder on a plan, checked and priced")
    edit.add_argument("scenario", type=Path, help="the scenario folder the plan is for")
    edit.add_argument("--plan", type=Path, required=True, help="a `schoolrun plan` --out folder")
    edit.add_argument("--out", type=Path, required=True, help="where the edited plan goes")
    edit.add_argument("--lock", action="append", default=[], metavar="ROUTE")
    edit.add_argument("--unlock", action="append", default=[], metavar="ROUTE")
    edit.add_argument("--pin", action="append", type=_pin, default=[], metavar="PUPIL=ROUTE")
    edit.add_argument("--move", type=_move, default=None, metavar="PUPIL=ROUTE[@N]")
    edit.add_argument("--reorder", type=_reorder, default=None, metavar="ROUTE=PUPIL,...")
    edit.add_argument("--force", action="store_true", help="keep an edit that breaks a rule")
    edit.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    edit.set_defaults(func=_cmd_edit)


def _add_replan(sub: Any) -> None:
    """The `schoolrun replan` sub-command."""
    rep = sub.add_parser(
        "replan", help="re-plan an edited scenario against a previous plan, least upheaval"
    )
    rep.add_argument("scenario", type=Path, help="the edited scenario folder")
    rep.add_argument(
        "--previous", type=Path, required=True, help="the `schoolrun plan` --out folder in use"
    )
    rep.add_argument("--out", type=Path, default=Path("out/replan"), help="output folder")
    rep.add_argument(
        "--lock", action="append", default=[], metavar="ROUTE", help="keep ROUTE as it is"
    )
    rep.add_argument(
        "--pin",
        action="append",
        type=_pin,
        default=[],
        metavar="PUPIL=ROUTE",
        help="keep PUPIL on ROUTE",
    )
    rep.add_argument(
        "--time-limit",
        type=float,
        default=2.0,
        help="solver seconds for pupils no route can take (default 2)",
    )
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    rep.set_defaults(func=_cmd_replan)


def _add_plan(sub: Any) -> None:
    """The `schoolrun plan` sub-command."""
    plan = sub.add_parser("plan", help="plan the AM and PM routes of a scenario folder")
    plan.add_argument("scenario", type=Path, help="scenario folder (see data/README.md)")
    plan.add_argument(
        "--time-limit", type=float, default=120.0, help="seconds per run (default 120)"
    )
    plan.add_argument("--out", type=Path, default=Path("out"), help="output folder")
    plan.add_argument("--runs", type=_runs, default=(Run.AM, Run.PM), help="AM, PM or AM,PM")
    plan.add_argument("--seed", type=int, default=0)
    plan.add_argument("--workers", type=int, default=2, help="solver processes (default 2)")
    plan.add_argument(
        "--max-part",
        type=int,
        default=SolveParams().max_part_requests,
        help="largest part a run is split into, in pupils",
    )
    plan.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    plan.add_argument(
        "--search",
        choices=["auto", "alns", "ortools"],
        default=SolveParams().search,
        help="auto or alns: the parts (OR-Tools), then ruin and recreate over the whole "
        f"run; ortools: the parts only (default {SolveParams().search})",
    )
    plan.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(plan, "local")
    plan.set_defaults(func=_cmd_plan)


def _add_network(sub: Any) -> None:
    """The `schoolrun network` sub-command."""
    network = sub.add_parser("network", help="road networks")
    network_sub = network.add_subparsers(dest="network_command", required=True)
    fetch = network_sub.add_parser("fetch", help="download drive and walk graphs (needs internet)")
    fetch.add_argument("--place", required=True, help='e.g. "London Borough of Havering"')
    fetch.add_argument("--buffer-km", type=float, default=3.0)
    fetch.add_argument("--out", type=Path, required=True, help="folder to save GraphML into")
    fetch.set_defaults(func=_cmd_network_fetch)


def _add_bench(sub: Any) -> None:
    """The `schoolrun bench` sub-command."""
    bench = sub.add_parser("bench", help="run the solver on public benchmark instances")
    bench.add_argument("family", choices=["darp", "vrptw"])
    bench.add_argument("files", nargs="+", type=Path)
    bench.add_argument("--time-limit", type=float, default=60.0)
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--bks", type=Path, default=None, help="best-known values CSV")
    bench.add_argument("--json", action="store_true", help="one JSON object per line")
    bench.add_argument(
        "--workers", type=int, default=None, help="parallel searches (default: 2, both cores)"
    )
    bench.set_defaults(func=_cmd_bench)


def _add_eligibility(sub: Any) -> None:
    """The `schoolrun eligibility` sub-command."""
    elig = sub.add_parser("eligibility", help="who is entitled to transport, and why")
    elig.add_argument("scenario", type=Path)
    elig.add_argument("--out", type=Path, default=Path("out/eligibility"))
    elig.set_defaults(func=_cmd_eligibility)


def _add_compare(sub: Any) -> None:
    """The `schoolrun compare` sub-command."""
    comp = sub.add_parser("compare", help="plan the baseline and what-if variants side by side")
    comp.add_argument("scenario", type=Path)
    comp.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=OVERRIDES",
        help="e.g. ride60=ride_limit_primary_min=60,ride_limit_secondary_min=90",
    )
    comp.add_argument("--time-limit", type=float, default=60.0, help="seconds per run")
    comp.add_argument("--seed", type=int, default=0)
    comp.add_argument("--workers", type=int, default=2)
    comp.add_argument("--out", type=Path, default=Path("out/compare"))
    comp.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    _add_executor_args(comp, None)
    comp.set_defaults(func=_cmd_compare)


def _add_tradeoff(sub: Any) -> None:
    """The `schoolrun tradeoff` sub-command."""
    trade = sub.add_parser(
        "tradeoff", help="plan a sweep of the value of a pupil's minute: cost against rides"
    )
    trade.add_argument("scenario", type=Path)
    trade.add_argument("--out", type=Path, default=Path("out/tradeoff"))
    trade.add_argument(
        "--values",
        default="0,0.02,0.05,0.1,0.2,0.5",
        help="values of one pupil's on-board minute, £, comma-separated (default "
        "0,0.02,0.05,0.1,0.2,0.5; the scenario's own value is always a point)",
    )
    trade.add_argument(
        "--comfort",
        default="",
        help="comfort limits to plan too, FACTOR/EXTRA_MIN comma-separated (e.g. "
        "2/25,1.5/20,0/0: a ride at most max(direct x FACTOR, direct + EXTRA_MIN); 0/0 off), "
        "each at the scenario's own value of a minute",
    )
    trade.add_argument("--time-limit", type=float, default=60.0, help="seconds per run")
    trade.add_argument(
        "--saving-pct",
        type=float,
        default=30.0,
        help="the saving on today's cost the answer asks for (default 30)",
    )
    trade.add_argument("--seed", type=int, default=0)
    trade.add_argument("--workers", type=int, default=2)
    trade.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    _add_executor_args(trade, None)
    trade.set_defaults(func=_cmd_tradeoff)


def _add_sweep(sub: Any) -> None:
    """The `schoolrun sweep` sub-command."""
    sweep = sub.add_parser(
        "sweep", help="plan many scenario folders x policy variants (a manifest) in one job"
    )
    sweep.add_argument("manifest", type=Path, help="MANIFEST.toml (see routing/sweep.py)")
    sweep.add_argument("--out", type=Path, default=Path("out/sweep"))
    sweep.add_argument("--workers", type=int, default=2, help="local pool processes (default 2)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_args(sweep, "local")
    sweep.set_defaults(func=_cmd_sweep)


def _add_modes(sub: Any) -> None:
    """The `schoolrun modes` sub-command."""
    modes = sub.add_parser("modes", help="every way to school per pupil, priced a year")
    modes.add_argument("scenario", type=Path)
    modes.add_argument("--plan", type=Path, required=True, help="a `schoolrun plan` --out folder")
    modes.add_argument("--out", type=Path, default=Path("out/modes"))
    modes.add_argument("--cache-dir", type=Path, default=None, help="travel matrix cache")
    modes.set_defaults(func=_cmd_modes)


def _add_lots(sub: Any) -> None:
    """The `schoolrun lots` sub-command."""
    lots = sub.add_parser("lots", help="group a plan's routes into tender lots with a should-cost")
    lots.add_argument("--plan", type=Path, required=True, help="a `schoolrun plan` --out folder")
    lots.add_argument("--out", type=Path, default=Path("out/lots"))
    lots.add_argument("--bids", type=Path, default=None, help="bids.csv: lot_id, bid_annual_gbp")
    lots.add_argument(
        "--price-model", type=Path, default=None, help="default: data/price_model.toml"
    )
    lots.set_defaults(func=_cmd_lots)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolrun",
        description="Plan SEND home-to-school transport: routes, times and costs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_plan(sub)
    _add_replan(sub)
    _add_edit(sub)
    _add_network(sub)
    _add_bench(sub)
    _add_eligibility(sub)
    _add_compare(sub)
    _add_tradeoff(sub)
    _add_sweep(sub)
    _add_modes(sub)
    _add_lots(sub)
    for entry in entry_points(group="schoolrun.commands"):
        # Other packages (the api service) add their own sub-commands, so this module
        # never imports them.
        entry.load()(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
    except RoutingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        # A file that cannot be read or written: the operating system's words and the path.
        where = f": {err.filename}" if err.filename else ""
        print(f"error: {err.strerror or type(err).__name__}{where}", file=sys.stderr)
        return 2
    except Exception as err:  # the last line of defence: one line, never a traceback
        print(_unexpected(err), file=sys.stderr)
        return 2
    return code


def _unexpected(err: Exception) -> str:
    """One line for an error nobody foresaw; its traceback goes to a file, without values.

    The traceback keeps file, line and function of each frame but drops the exception's
    message and the source lines, which may carry pupil data (a name in a KeyError, say).
    """
    frames = traceback.extract_tb(err.__traceback__)
    lines = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames]
    text = "\n".join([*lines, f"{type(err).__module__}.{type(err).__qualname__}", ""])
    with tempfile.NamedTemporaryFile(
        "w", prefix="schoolrun-error-", suffix=".log", delete=False, encoding="utf-8"
    ) as log_file:
        log_file.write(text)
    logger.debug("unexpected %s; traceback in %s", type(err).__name__, log_file.name)
    return (
        f"error: planning failed unexpectedly ({type(err).__name__}); this is a bug in "
        f"SchoolRun, please report it with {log_file.name} (it holds no pupil data)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
