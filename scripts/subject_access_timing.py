"""Time the subject access endpoint on the Havering scenario (issue 13: under 5 s).

Loads ``data/havering`` into a fresh SQLite database (or ``--database-url``), plans it
once through the real job worker, adds ``--audit-rows`` chained audit rows naming the
scenario (a year of reads), then times ``GET /api/v1/pupils/{scenario}/{pupil}/record``
as JSON and as a ZIP for the pupils with the most stops, in process (TestClient)::

    python scripts/subject_access_timing.py --workdir /tmp/sar --time-limit 30

``--other-audit-rows N`` adds N rows about other schools' pickup lists (years of reads
in a busy council), written in bulk outside the hash chain: the database is for timing
only (``schoolrun audit verify`` fails on it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "timing-test-password"


def _prepare(args: argparse.Namespace, workdir: Path) -> tuple[object, int]:
    from sqlalchemy import func, select

    from api import audit, jobs
    from api.config import Settings
    from api.db import make_engine, make_session_factory
    from api.domain import scenario_from_folder
    from api.migrate import upgrade_to_head
    from api.models import PlanRow, UserRow
    from api.scenario_store import add_scenario
    from api.users import add_user
    from api.worker import Worker

    database_url = args.database_url or f"sqlite:///{workdir / 'sar.db'}"
    settings = Settings(
        database_url=database_url,
        state_dir=workdir,
        solve_num_workers=2,
        max_time_limit_s=max(600.0, args.time_limit),
    )
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        plan_id = session.scalar(select(func.max(PlanRow.id)))
    if plan_id is None:
        scenario = scenario_from_folder(Path(args.scenario))
        with factory() as session, session.begin():
            scenario_id = add_scenario(session, scenario, source_dir=Path(args.scenario)).id
        add_user("sar-officer", "officer", password=PASSWORD, session_factory=factory)
        with factory() as session:
            officer_id = session.scalar(select(UserRow.id).where(UserRow.username == "sar-officer"))
        params = {"run": "both", "time_limit_s": args.time_limit, "seed": 0, "policy_overrides": {}}
        jobs.enqueue(factory, scenario_id=scenario_id, user_id=officer_id, params=params,
                     idempotency_key=None)  # fmt: skip
        started = time.perf_counter()
        Worker(settings, factory).run_once()
        print(f"planned in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with factory() as session, session.begin():
            for i in range(args.audit_rows):
                audit.append(session, user_id=officer_id, username="sar-officer", role="officer",
                             action="scenario.pupils", resource=f"scenario:{scenario_id}",
                             detail={"num_pupils": i})  # fmt: skip
        if args.other_audit_rows:  # once, with the plan (a rerun reuses the database)
            _add_other_audit_rows(factory, args.other_audit_rows)
    engine.dispose()
    return settings, args.repeat


def _add_other_audit_rows(factory: object, count: int) -> None:
    """Rows about other schools' lists of other plans, in bulk (not chained)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from api.models import AuditRow

    now = datetime.now(UTC)
    for start in range(0, count, 10_000):
        rows = [
            {
                "at": now,
                "user_id": None,
                "username": "school-user",
                "role": "school",
                "action": "school.pickups",
                "resource": f"school:S{i % 40}/plan:{1000 + i % 50}",
                "request_id": f"bulk-{i}",
                "detail": {"run": "AM", "num_pupils": 30},
                "prev_hash": "0" * 64,
                "row_hash": "0" * 64,
            }
            for i in range(start, min(count, start + 10_000))
        ]
        with factory() as session, session.begin():  # type: ignore[operator]
            session.execute(insert(AuditRow), rows)
    print(f"added {count} other audit rows (not chained)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default=str(REPO / "data" / "havering"))
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--audit-rows", type=int, default=5000)
    parser.add_argument("--other-audit-rows", type=int, default=0, help="bulk, not chained")
    parser.add_argument("--pupils", type=int, default=3, help="how many pupils to time")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings, repeat = _prepare(args, args.workdir)

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from api.main import create_app
    from api.models import PlanTripRow, PupilRow

    app = create_app(settings)  # type: ignore[arg-type]
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/token", data={"username": "sar-officer", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with app.state.session_factory() as session:
            scenario_id, num_pupils = session.execute(
                select(PupilRow.scenario_id, func.count()).group_by(PupilRow.scenario_id)
            ).one()
            pupils = list(
                session.scalars(
                    select(PlanTripRow.pupil_id)
                    .group_by(PlanTripRow.pupil_id)
                    .order_by(func.count().desc(), PlanTripRow.pupil_id)
                    .limit(args.pupils)
                )
            )
        print(f"scenario {scenario_id}: {num_pupils} pupils; timing {pupils}")
        for fmt in ("json", "zip"):
            times = []
            for pupil_id in pupils:
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(
                        f"/api/v1/pupils/{scenario_id}/{pupil_id}/record?format={fmt}",
                        headers=headers,
                    )
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
            print(
                f"{fmt}: {len(times)} requests, median {statistics.median(times) * 1000:.0f} ms,"
                f" max {max(times) * 1000:.0f} ms, {len(response.content)} bytes"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
