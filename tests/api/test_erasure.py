"""Erasure: DELETE /api/v1/pupils/{scenario_id}/{pupil_id} removes a canary pupil from
every table, plan, pickup list and export; afterwards its name, postcode and id are in
neither the SQLite files nor a pg_dump nor any export nor the logs."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from api_support import World, solve_world, tiny_scenario
from sqlalchemy import select

from api.log_redaction import ACCESS_LOGGER, install_access_log_redaction, redact_path
from api.models import AuditRow
from routing.dataset import write_scenario
from routing.model import CurrentRoute, IncompatiblePair, Needs, Pupil

CANARY_ID = "QXCANARY7"
CANARY = (CANARY_ID, "Zephyrine", "Quillfeather", "ZZ9 9QZ")


def canary_files(tmp_path: Path) -> dict[str, bytes]:
    """The tiny scenario plus the canary: in an incompatible pair and a current route."""
    base = tiny_scenario()
    canary = Pupil(
        pupil_id=CANARY_ID,
        school_id="S1",
        lon=0.215,
        lat=51.552,
        year_group=5,
        first_name="Zephyrine",
        last_name="Quillfeather",
        postcode="ZZ9 9QZ",
        needs=Needs(needs_assistant=True),
    )
    scenario = dataclasses.replace(
        base,
        pupils=(*base.pupils, canary),
        incompatible_pairs=(IncompatiblePair(CANARY_ID, "P002"),),
        current_routes=(
            CurrentRoute("CR1", "taxi", False, (CANARY_ID, "P001"), 4000),
            CurrentRoute("CR2", "taxi", False, ("P002",), 3000),
        ),
    )
    folder = tmp_path / "canary"
    write_scenario(scenario, folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def exports(world: World) -> str:
    """Everything the service hands out about the scenario and its plan, as one text."""
    o = world.headers["officer"]
    sid, pid = world.scenario_id, world.plan_id
    urls = [
        f"/api/v1/scenarios/{sid}",
        f"/api/v1/scenarios/{sid}/pupils",
        f"/api/v1/scenarios/{sid}/eligibility",
        f"/api/v1/plans/{pid}",
        f"/api/v1/plans/{pid}.csv",
        f"/api/v1/plans/{pid}.geojson",
        f"/api/v1/plans/{pid}/comparison",
        f"/api/v1/comparisons/{world.comparison_id}",
        f"/api/v1/jobs/{world.job_id}",
        "/api/v1/audit?limit=1000",
    ]
    for school in ("S1", "S2"):
        urls += [
            f"/api/v1/schools/{school}/pickups?plan={pid}",
            f"/api/v1/schools/{school}/pickups.csv?plan={pid}&run=AM",
            f"/api/v1/schools/{school}/pickups.html?plan={pid}&run=PM",
        ]
    plan = world.client.get(f"/api/v1/plans/{pid}", headers=o).json()
    urls += [f"/api/v1/plans/{pid}/routes/{r['route_id']}/sheet" for r in plan["routes"]]
    texts = []
    for url in urls:
        response = world.client.get(url, headers=o)
        assert response.status_code == 200, (url, response.text)
        texts.append(response.text)
    return "\n".join(texts)


def leaks(text: str) -> list[str]:
    return [s for s in CANARY if s in text]


def database_bytes(world: World) -> bytes:
    url = world.settings.database_url
    if world.backend == "sqlite":
        path = Path(url.split("///", 1)[1])
        files = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        return b"".join(p.read_bytes() for p in files if p.exists())
    dump = shutil.which("pg_dump")
    if dump is None:
        pytest.skip("pg_dump is not installed")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run([dump, plain], check=True, capture_output=True, timeout=120).stdout


def test_erasing_a_canary_leaves_no_trace(
    fresh_any: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    w = fresh_any
    solve_world(w, canary_files(tmp_path))
    o = w.headers["officer"]
    route = w.client.get(
        f"/api/v1/scenarios/{w.scenario_id}/eligibility/{CANARY_ID}/route", headers=o
    )
    assert route.status_code == 200
    # Before: the canary is everywhere the test looks (so the checks below can fail).
    assert leaks(exports(w)) == list(CANARY)
    assert leaks(database_bytes(w).decode("utf-8", "replace")) == list(CANARY)

    url = f"/api/v1/pupils/{w.scenario_id}/{CANARY_ID}"
    assert w.client.delete(url, headers=w.headers["finance"]).status_code == 403
    erased = w.client.delete(url, headers=o)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["num_plans_amended"] >= 1
    assert body["num_trips_removed"] >= 1
    assert w.client.delete(url, headers=o).status_code == 404

    # After: no export, database byte or log line holds the name, postcode or id.
    assert leaks(exports(w)) == []
    assert leaks(database_bytes(w).decode("utf-8", "replace")) == []
    # (the test client's own request log is not the service's: uvicorn's access log
    # line is redacted, see the test below)
    served = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert leaks("\n".join(served)) == []
    # The audit names the erasure (and the earlier read) by the same pseudonym only.
    with w.factory() as session:
        rows = list(session.scalars(select(AuditRow).where(AuditRow.resource.contains("pupil~"))))
    assert {r.action for r in rows} == {"scenario.eligibility_route", "pupil.erase"}
    assert len({r.resource for r in rows}) == 1
    assert body["pseudonym"] in rows[0].resource
    # The other pupils are still planned and listed.
    pupils = w.client.get(f"/api/v1/scenarios/{w.scenario_id}/pupils", headers=o).json()
    assert len(pupils["pupils"]) == 6
    scenario = w.client.get(f"/api/v1/scenarios/{w.scenario_id}", headers=o).json()
    assert scenario["num_pupils"] == 6


def test_the_access_log_line_does_not_name_the_pupil() -> None:
    create_app_for_filter = logging.getLogger(ACCESS_LOGGER)
    install_access_log_redaction()
    record = logging.LogRecord(
        ACCESS_LOGGER, logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d', (
            "127.0.0.1:5000", "DELETE", f"/api/v1/pupils/3/{CANARY_ID}", "1.1", 200
        ), None,
    )  # fmt: skip
    for f in create_app_for_filter.filters:
        f.filter(record)
    assert CANARY_ID not in record.getMessage()
    assert "/api/v1/pupils/3/:pupil" in record.getMessage()
    assert redact_path(f"/api/v1/scenarios/2/eligibility/{CANARY_ID}/route?as_of=x") == (
        "/api/v1/scenarios/2/eligibility/:pupil/route?as_of=x"
    )
