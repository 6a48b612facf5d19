"""Load generator for ``GET /api/v1/schools/{school_id}/pickups`` on loopback.

Measures latency (median, p90, p99, max) and throughput at a fixed concurrency, with
keep-alive connections, as a school user would call it.

Against a running service::

    python scripts/load_pickups.py --url http://127.0.0.1:8000 \\
        --username demo-school --password ... --school 102362 --plan 1

Self-hosted (temporary SQLite database, the Havering scenario solved once through the
real job worker and published, a school user, a uvicorn process on a free loopback port)::

    python scripts/load_pickups.py --self-host --concurrency 8 --requests 2000

With Debian's ``wrk`` as the load generator, for a fixed time, against ``uvicorn
--workers 2`` (the 2,000-pupil scenario: ``scripts/build_scenarios.py --only
havering-2000 --out DIR``)::

    python scripts/load_pickups.py --self-host --scenario DIR/havering-2000 \
        --uvicorn-workers 2 --wrk-duration 20 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "load-test-password"


@dataclass
class Target:
    url: str
    token: str
    school_id: str
    plan_id: int


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def run_load(
    target: Target, concurrency: int, requests: int, warmup: int
) -> dict[str, float]:
    """Send ``requests`` GETs from ``concurrency`` tasks; latencies in milliseconds."""
    path = f"/api/v1/schools/{target.school_id}/pickups"
    params = {"plan": str(target.plan_id)}
    headers = {"Authorization": f"Bearer {target.token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async with httpx.AsyncClient(base_url=target.url, limits=limits, timeout=30) as client:
        for _ in range(warmup):
            (await client.get(path, params=params, headers=headers)).raise_for_status()

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                started = time.perf_counter()
                response = await client.get(path, params=params, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    errors += 1
                latencies.append(elapsed)

        wall = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - wall
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "concurrency": concurrency,
        "median_ms": statistics.median(latencies),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1],
        "throughput_rps": len(latencies) / wall,
    }


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _WRK_UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests, req/s, latency percentiles (ms) and error counts from ``wrk --latency``."""

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    result = {
        "requests": number(r"(\d+) requests in"),
        "throughput_rps": number(r"Requests/sec:\s+([\d.]+)"),
        "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
    }
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = float(sum(map(int, socket_errors.groups()))) if socket_errors else 0
    for q in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{q}%\s+(\S+)\s*$", output, re.MULTILINE)
        if found is None:
            msg = f"wrk printed no {q}% latency (run with --latency): {output!r}"
            raise ValueError(msg)
        result[f"p{q}_ms"] = _wrk_ms(found.group(1))
    result["errors"] = result["non_2xx"] + result["socket_errors"]
    return result


def run_wrk(target: Target, concurrency: int, duration_s: int) -> dict[str, float]:
    """``wrk`` (2 threads, ``concurrency`` connections) for ``duration_s`` seconds."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    url = f"{target.url}/api/v1/schools/{target.school_id}/pickups?plan={target.plan_id}"
    command = [wrk, "-t2", f"-c{concurrency}", f"-d{duration_s}s", "--latency",
               "--timeout", "10s", "-H", f"Authorization: Bearer {target.token}", url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return {**parse_wrk(done.stdout), "concurrency": concurrency, "duration_s": duration_s}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_host(args: argparse.Namespace, workdir: Path) -> tuple[Target, subprocess.Popen[bytes]]:
    """Load and solve the scenario into a fresh database, then start uvicorn on it."""
    from sqlalchemy import func, select

    from api import jobs
    from api.config import Settings
    from api.db import make_engine, make_session_factory
    from api.domain import scenario_from_folder
    from api.migrate import upgrade_to_head
    from api.models import JobRow, PlanRow, PlanTripRow, UserRow
    from api.scenario_store import add_scenario
    from api.users import add_user
    from api.worker import Worker

    database_url = args.database_url or f"sqlite:///{workdir / 'load.db'}"
    env = {
        **os.environ,
        "SCHOOLRUN_DATABASE_URL": database_url,
        "SCHOOLRUN_STATE_DIR": str(workdir),
        "SCHOOLRUN_MAX_TIME_LIMIT_S": str(max(600.0, args.time_limit)),
    }
    env.pop("DATABASE_URL", None)
    settings = Settings(database_url=database_url, state_dir=workdir, solve_num_workers=2)
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        prepared = session.scalar(select(UserRow.id).where(UserRow.username == "load-school"))
    if prepared:  # a database with the load user and its plan is reused (no new solve)
        return _serve(env, factory, engine, args.uvicorn_workers)
    scenario = scenario_from_folder(Path(args.scenario))
    with factory() as session, session.begin():
        row = add_scenario(session, scenario, source_dir=Path(args.scenario))
        scenario_id = row.id
    add_user("load-officer", "officer", password="load-test-password", session_factory=factory)
    with factory() as session:
        officer_id = session.scalar(select(UserRow.id).where(UserRow.username == "load-officer"))
    assert officer_id is not None
    job, _ = jobs.enqueue(
        factory,
        scenario_id=scenario_id,
        user_id=officer_id,
        params={"run": "both", "time_limit_s": args.time_limit, "seed": 0, "policy_overrides": {}},
        idempotency_key=None,
    )
    print(
        f"solving {scenario.name} ({len(scenario.pupils)} pupils, {args.time_limit:g} s a run)...",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    Worker(settings, factory).run_once()
    print(f"solved in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    with factory() as session:
        plan_id = session.scalar(select(PlanRow.id).where(PlanRow.job_id == job.id))
        if plan_id is None:
            failed = session.get(JobRow, job.id)
            raise SystemExit(f"the solve failed: {failed.error if failed else 'job gone'}")
        school_id, num_trips = session.execute(
            select(PlanTripRow.school_id, func.count())
            .where(PlanTripRow.plan_id == plan_id)
            .group_by(PlanTripRow.school_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    print(
        f"plan {plan_id}; busiest school {school_id} with {num_trips} pupil journeys",
        file=sys.stderr,
        flush=True,
    )
    add_user("load-school", "school", password=PASSWORD, school_ids=[school_id],
             session_factory=factory)  # fmt: skip
    return _serve(env, factory, engine, args.uvicorn_workers)


def _serve(
    env: dict[str, str], factory: Any, engine: Any, workers: int
) -> tuple[Target, subprocess.Popen[bytes]]:
    """Start uvicorn on the prepared database; sign the school user in."""
    from sqlalchemy import func, select

    from api.models import PlanRow, UserRow

    with factory() as session:
        plan_id = session.scalar(select(func.max(PlanRow.id)))
        school = session.scalar(select(UserRow).where(UserRow.username == "load-school"))
        assert plan_id is not None and school is not None, "no plan or school user to load"
        school_id = str(school.school_ids[0])
        status = session.scalar(select(PlanRow.status).where(PlanRow.id == plan_id))
    engine.dispose()
    password = PASSWORD
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        cwd=REPO, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    if status != "published":  # schools see published plans only
        officer = httpx.post(
            f"{url}/api/v1/token", data={"username": "load-officer", "password": password}
        ).json()["access_token"]
        for step in ("approve", "publish") if status == "draft" else ("publish",):
            httpx.post(
                f"{url}/api/v1/plans/{plan_id}/{step}",
                headers={"Authorization": f"Bearer {officer}"},
                timeout=30,
            ).raise_for_status()
    token = httpx.post(
        f"{url}/api/v1/token", data={"username": "load-school", "password": password}
    ).json()["access_token"]
    return Target(url, token, school_id, int(plan_id)), server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--school")
    parser.add_argument("--plan", type=int)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--self-host", action="store_true", help="start a server on a temp DB")
    parser.add_argument("--scenario", default=str(REPO / "data" / "havering"))
    parser.add_argument("--time-limit", type=float, default=20.0, help="solve seconds a run")
    parser.add_argument("--database-url", default=None, help="self-host on this database")
    parser.add_argument(
        "--workdir", default=None,
        help="self-host state folder (a second run reuses the plan solved in its database)",
    )  # fmt: skip
    parser.add_argument("--uvicorn-workers", type=int, default=1, help="self-host processes")
    parser.add_argument(
        "--wrk-duration", type=int, default=None,
        help="load with wrk for this many seconds (instead of --requests with httpx)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    server = None
    with tempfile.TemporaryDirectory(prefix="schoolrun-load-") as tmp:
        workdir = Path(args.workdir) if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            if args.self_host:
                target, server = self_host(args, workdir)
            else:
                if not (args.username and args.password and args.school and args.plan):
                    parser.error("--username, --password, --school and --plan are required")
                token = httpx.post(
                    f"{args.url}/api/v1/token",
                    data={"username": args.username, "password": args.password},
                ).json()["access_token"]
                target = Target(args.url, token, args.school, args.plan)
            if args.wrk_duration:
                result = run_wrk(target, args.concurrency, args.wrk_duration)
            else:
                result = asyncio.run(run_load(target, args.concurrency, args.requests, args.warmup))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    result.setdefault("median_ms", result.get("p50_ms", float("nan")))
    if args.json:
        print(json.dumps({"school_id": target.school_id, "plan_id": target.plan_id, **result}))
        return 0 if result["errors"] == 0 else 1
    print(
        f"GET /api/v1/schools/{target.school_id}/pickups?plan={target.plan_id}: "
        f"{result['requests']:.0f} requests, concurrency {result['concurrency']:.0f}, "
        f"errors {result['errors']:.0f}\n"
        f"  median {result['median_ms']:.1f} ms, p90 {result['p90_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, max {result.get('max_ms', float('nan')):.1f} ms, "
        f"{result['throughput_rps']:.1f} requests/s"
    )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
