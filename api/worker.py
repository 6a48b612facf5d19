"""The solve worker: claims queued jobs, runs ``routing.pipeline.plan_scenario``, writes
the plan once.

Run it as ``python -m api.worker`` (or ``schoolrun worker``, wired to :func:`main`);
``schoolrun serve`` runs one in a thread of the API process for the single-machine
default. Several workers may share one database: leases keep them off each other's jobs
and a job whose worker died is claimed again after its lease expires.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api import jobs
from api.config import Settings, get_settings
from api.convert import to_jsonable
from api.db import make_engine, make_session_factory
from api.errors import domain_error_status
from api.fault_points import FaultPoint, reach
from api.migrate import upgrade_to_head
from api.models import ComparisonRow, JobRow
from api.plan_store import add_plan
from api.policy_overrides import apply_policy_overrides
from api.retention import PeriodicPurge
from api.scenario_store import load_scenario, with_server_files
from routing.errors import InvalidScenarioError, RoutingError
from routing.executor import connect_ray
from routing.model import Plan, Run, Scenario, SolveParams, SolveProgress
from routing.rides import count_rides_over

logger = logging.getLogger(__name__)

ProgressFn = Callable[[SolveProgress], None]


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """What the worker stores: the plan, its comparison (JSON-ready) and route GeoJSON."""

    plan: Plan
    comparison: dict[str, Any] | None
    geojson: dict[str, Any] | None = None


class SolveFn(Protocol):
    def __call__(
        self,
        scenario: Scenario,
        source_dir: Path | None,
        params: SolveParams,
        runs: tuple[Run, ...],
        progress: ProgressFn,
        settings: Settings,
    ) -> SolveOutcome: ...


def pipeline_solve(
    scenario: Scenario,
    source_dir: Path | None,
    params: SolveParams,
    runs: tuple[Run, ...],
    progress: ProgressFn,
    settings: Settings,
) -> SolveOutcome:
    """The pipeline's ``plan_source`` (matrix, solve, check, cost), then route GeoJSON."""
    from routing.comparison import comparison_to_dict
    from routing.pipeline import plan_source
    from routing.reports import road_path_coords, routes_geojson

    result = plan_source(
        scenario, source_dir, params, runs=runs, progress=progress, cache_dir=settings.cache_dir
    )
    # Road geometry needs the road graph: draw it here, once, not in a request handler.
    geojson = routes_geojson(result.plan, path_coords=road_path_coords(scenario, source_dir))
    return SolveOutcome(
        plan=result.plan, comparison=comparison_to_dict(result.comparison), geojson=geojson
    )


class CompareFn(Protocol):
    def __call__(
        self,
        scenario: Scenario,
        source_dir: Path | None,
        variants: Sequence[str],
        params: SolveParams,
        runs: tuple[Run, ...],
        include_current: bool,
        on_step: Callable[[str], None],
        settings: Settings,
    ) -> dict[str, Any]: ...


def pipeline_compare(
    scenario: Scenario,
    source_dir: Path | None,
    variants: Sequence[str],
    params: SolveParams,
    runs: tuple[Run, ...],
    include_current: bool,
    on_step: Callable[[str], None],
    settings: Settings,
) -> dict[str, Any]:
    """The pipeline's ``compare_source_variants``, the side-by-side table as JSON
    (``variant_table_to_dict``: no pupil names).

    Price-list files are refused (``allow_price_files=False``): a caller must not make
    the service read files on the server.
    """
    from routing.pipeline import compare_source_variants
    from routing.variants import variant_table_to_dict

    table = compare_source_variants(
        scenario,
        source_dir,
        params,
        variants,
        runs=runs,
        cache_dir=settings.cache_dir,
        include_current=include_current,
        allow_price_files=False,
        progress=on_step,
    )
    result: dict[str, Any] = to_jsonable(variant_table_to_dict(table))
    return result


def runs_of(value: str) -> tuple[Run, ...]:
    return (Run.AM, Run.PM) if value == "both" else (Run(value),)


class _Progress:
    """The latest progress of the job in hand; the heartbeat thread stores it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value: dict[str, Any] | None = None
        self.best_cost_pence: int | None = None
        self._run_costs: dict[str, int] = {}
        self._run_long_rides: dict[str, int] = {}

    def update(self, progress: dict[str, Any], best_cost_pence: int | None = None) -> None:
        with self._lock:
            self.value = progress
            if best_cost_pence is not None:
                self.best_cost_pence = best_cost_pence

    def on_solve(self, p: SolveProgress) -> None:
        # Best cost so far = finished runs + the best of the run in hand; rides over
        # 45 minutes likewise, of the plan behind that cost.
        best = long_rides = None
        with self._lock:
            if p.best_cost_pence is not None:
                self._run_costs[p.run.value] = p.best_cost_pence
                best = sum(self._run_costs.values())
            if p.rides_over_45_min is not None:
                self._run_long_rides[p.run.value] = p.rides_over_45_min
            if self._run_long_rides:
                long_rides = sum(self._run_long_rides.values())
        self.update(
            {
                "phase": "solving",
                "run": p.run.value,
                "parts_done": p.parts_done,
                "parts_total": p.parts_total,
                "elapsed_s": round(p.elapsed_s, 2),
                "message": p.message,
                "rides_over_45_min": long_rides,
            },
            best,
        )

    def snapshot(self) -> tuple[dict[str, Any] | None, int | None]:
        with self._lock:
            return self.value, self.best_cost_pence


class Worker:
    """Claims and runs jobs from the database until told to stop.

    Parameters
    ----------
    settings
        Lease, heartbeat, poll and solve settings.
    session_factory
        Sessions on the shared database.
    worker_id
        A name unique among live workers (default host:pid:random).
    solve
        The solve step (default :func:`pipeline_solve`); tests inject fakes.
    compare
        The comparison step of ``comparison`` jobs (default :func:`pipeline_compare`).
    """

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        worker_id: str | None = None,
        solve: SolveFn = pipeline_solve,
        compare: CompareFn = pipeline_compare,
    ) -> None:
        self.settings = settings
        self.factory = session_factory
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.solve = solve
        self.compare = compare
        self.stop_event = threading.Event()
        self.retention = PeriodicPurge(settings, session_factory)

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue had nothing runnable."""
        job = jobs.claim_next(
            self.factory,
            self.worker_id,
            lease_s=self.settings.lease_s,
            max_attempts=self.settings.max_job_attempts,
        )
        if job is None:
            return False
        logger.info("worker %s claimed job %s (attempt %d)", self.worker_id, job.id, job.attempts)
        self._fault(FaultPoint.CLAIMED, job.id)
        self._run(job)
        return True

    def run_forever(self) -> None:
        """Loop until ``stop_event`` is set, waiting ``worker_poll_s`` when idle."""
        while not self.stop_event.is_set():
            self.retention.run_if_due()
            try:
                worked = self.run_once()
            except Exception:
                # A database hiccup must not kill the worker; the lease protocol makes
                # a retry safe.
                logger.exception("worker %s: error while claiming a job", self.worker_id)
                worked = False
            if not worked:
                self.stop_event.wait(self.settings.worker_poll_s)

    def _run(self, job: JobRow) -> None:
        progress = _Progress()
        progress.update({"phase": "starting"})
        done = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat,
            args=(job.id, progress, done),
            daemon=True,
            name=f"heartbeat-{job.id[:8]}",
        )
        beat.start()

        def stop_beat() -> None:
            # Before the final write: a beat after it would find the job finished and
            # report a lost lease that was never lost.
            done.set()
            beat.join(timeout=10)

        try:
            self._solve_and_store(job, progress, stop_beat)
        except jobs.LeaseLostError:
            logger.warning("worker %s lost job %s to another worker", self.worker_id, job.id)
        except RoutingError as err:
            stop_beat()
            _, code = domain_error_status(err)
            jobs.fail(self.factory, job.id, self.worker_id, code, str(err).split("\n", 1)[0])
            logger.info("job %s failed: %s", job.id, code)
        except Exception:
            logger.exception("job %s: unexpected error", job.id)
            stop_beat()
            jobs.fail(
                self.factory,
                job.id,
                self.worker_id,
                "internal_error",
                "The solve failed unexpectedly; the service log has the details.",
            )
        finally:
            stop_beat()

    def _fault(self, point: FaultPoint, job_id: str) -> None:
        """A fault test's pause point (api/fault_points.py); returns at once otherwise."""
        reach(point, job_id, self.settings.fault_pause_at, self.settings.fault_pause_dir)

    def _heartbeat(self, job_id: str, progress: _Progress, done: threading.Event) -> None:
        while not done.wait(self.settings.heartbeat_s):
            value, best = progress.snapshot()
            try:
                kept = jobs.heartbeat(
                    self.factory,
                    job_id,
                    self.worker_id,
                    lease_s=self.settings.lease_s,
                    progress=value,
                    best_cost_pence=best,
                )
            except Exception:
                logger.exception("heartbeat of job %s failed", job_id)
                continue
            if not kept:
                logger.warning("worker %s: lease of job %s is gone", self.worker_id, job_id)
                return

    def _solve_params(self, params: dict[str, Any]) -> SolveParams:
        """A job's solver settings; with ``executor`` ray, this process joins Ray first
        (once), so the solve's parts run as Ray tasks while job state stays here."""
        if self.settings.executor == "ray":
            connect_ray(self.settings.ray_address)
        return SolveParams(
            time_limit_s=float(params["time_limit_s"]),
            seed=int(params.get("seed", 0)),
            num_workers=self.settings.solve_num_workers,
            executor=self.settings.executor,
        )

    def _solve_and_store(
        self, job: JobRow, progress: _Progress, stop_beat: Callable[[], None]
    ) -> None:
        params = job.params
        with self.factory() as session:
            loaded = load_scenario(session, job.scenario_id)
        if loaded is None:
            msg = f"Scenario {job.scenario_id} was deleted before the job ran."
            raise InvalidScenarioError(msg)
        row, scenario = loaded
        scenario, source_dir = with_server_files(row, scenario)
        if job.kind == jobs.JobKind.COMPARISON.value:
            self._compare_and_store(job, scenario, source_dir, progress, stop_beat)
            return
        scenario = apply_policy_overrides(scenario, params.get("policy_overrides") or {})
        runs = runs_of(params.get("run", "both"))
        solve_params = self._solve_params(params)
        progress.update({"phase": "solving"})
        jobs.heartbeat(
            self.factory,
            job.id,
            self.worker_id,
            lease_s=self.settings.lease_s,
            progress={"phase": "solving"},
        )

        def on_solve(report: SolveProgress) -> None:
            progress.on_solve(report)
            self._fault(FaultPoint.SOLVING, job.id)

        started = time.monotonic()
        outcome = self.solve(scenario, source_dir, solve_params, runs, on_solve, self.settings)
        logger.info("job %s solved in %.1f s", job.id, time.monotonic() - started)
        stop_beat()
        self._fault(FaultPoint.SOLVED, job.id)
        with self.factory() as session, session.begin():
            jobs.finish_with_plan(session, job.id, self.worker_id)
            session.execute(
                update(JobRow)
                .where(JobRow.id == job.id)
                .values(
                    progress={
                        "phase": "done",
                        "rides_over_45_min": count_rides_over(outcome.plan),
                    },
                    best_cost_pence=outcome.plan.cost_pence,
                )
            )
            add_plan(
                session,
                scenario_id=job.scenario_id,
                scenario=scenario,
                plan=outcome.plan,
                comparison=outcome.comparison,
                geojson=outcome.geojson,
                runs=runs,
                job_id=job.id,
            )
            session.flush()  # every row sent, the commit still to come
            self._fault(FaultPoint.WRITING, job.id)

    def _compare_and_store(
        self,
        job: JobRow,
        scenario: Scenario,
        source_dir: Path | None,
        progress: _Progress,
        stop_beat: Callable[[], None],
    ) -> None:
        params = job.params
        variants = [str(v) for v in params["variants"]]
        runs = runs_of(params.get("run", "both"))
        solve_params = self._solve_params(params)
        total = 1 + len(variants)
        steps = [0]
        started = time.monotonic()

        def on_step(line: str) -> None:
            # compare_variants calls this as each of baseline and the variants starts.
            steps[0] += 1
            progress.update(
                {
                    "phase": "comparing",
                    "parts_done": steps[0] - 1,
                    "parts_total": total,
                    "elapsed_s": round(time.monotonic() - started, 2),
                    "message": line,
                }
            )

        progress.update({"phase": "comparing", "parts_done": 0, "parts_total": total})
        result = self.compare(
            scenario,
            source_dir,
            variants,
            solve_params,
            runs,
            bool(params.get("include_current", True)),
            on_step,
            self.settings,
        )
        logger.info(
            "job %s compared %d variants in %.1f s",
            job.id,
            len(variants),
            time.monotonic() - started,
        )
        stop_beat()
        self._fault(FaultPoint.SOLVED, job.id)
        with self.factory() as session, session.begin():
            jobs.finish_with_plan(session, job.id, self.worker_id)
            session.execute(
                update(JobRow)
                .where(JobRow.id == job.id)
                .values(progress={"phase": "done", "parts_done": total, "parts_total": total})
            )
            session.add(
                ComparisonRow(
                    job_id=job.id,
                    scenario_id=job.scenario_id,
                    scenario_name=scenario.name,
                    variants=variants,
                    params={
                        "run": params.get("run", "both"),
                        "time_limit_s": float(params["time_limit_s"]),
                        "seed": int(params.get("seed", 0)),
                        "include_current": bool(params.get("include_current", True)),
                    },
                    result=result,
                )
            )
            session.flush()
            self._fault(FaultPoint.WRITING, job.id)


def start_in_process(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[Worker, threading.Thread]:
    """A worker on a daemon thread of this process (the single-machine default)."""
    worker = Worker(settings, session_factory, worker_id=None)
    thread = threading.Thread(target=worker.run_forever, name="schoolrun-worker", daemon=True)
    thread.start()
    return worker, thread


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``schoolrun worker`` / ``python -m api.worker``.

    Parameters
    ----------
    argv
        ``--once`` (run at most one job, then exit), ``--worker-id NAME``.

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="schoolrun worker", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run at most one job, then exit")
    parser.add_argument("--worker-id", default=None, help="name of this worker in job leases")
    # argv None means "no options" (not sys.argv): `schoolrun worker` calls main() and
    # its own argv holds the sub-command name.
    args = parser.parse_args(list(argv) if argv is not None else [])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    worker = Worker(settings, make_session_factory(engine), worker_id=args.worker_id)

    def _stop(signum: int, _frame: object) -> None:
        logger.info(
            "worker %s: signal %d, stopping after the current job", worker.worker_id, signum
        )
        worker.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logger.info("worker %s started on %s", worker.worker_id, engine.url.render_as_string())
    if args.once:
        worker.run_once()
    else:
        worker.run_forever()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
