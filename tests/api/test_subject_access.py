"""Subject access: GET /api/v1/pupils/{scenario_id}/{pupil_id}/record gives every field
held on the pupil, their plans and journeys and the audit rows about them, as JSON and
as a ZIP of formula-safe CSVs."""

from __future__ import annotations

import csv
import io
import zipfile

from api_support import World, upload_tiny
from sqlalchemy import event, select, text

from api.models import PlanRow, PupilNeedsRow, PupilRow
from api.subject_access import _audit_query, _plan_records


def record_url(world: World, pupil_id: str, fmt: str = "json") -> str:
    return f"/api/v1/pupils/{world.scenario_id}/{pupil_id}/record?format={fmt}"


def test_the_record_holds_every_field_plan_journey_and_audit_row(world: World) -> None:
    o = world.headers["officer"]
    walk = f"/api/v1/scenarios/{world.scenario_id}/eligibility/P001/route"
    assert world.client.get(walk, headers=o).status_code == 200
    assert world.client.get(f"/api/v1/plans/{world.plan_id}", headers=o).status_code == 200
    response = world.client.get(record_url(world, "P001"), headers=o)
    assert response.status_code == 200, response.text
    record = response.json()
    assert set(record["pupil"]) == set(PupilRow.__table__.columns.keys())
    assert set(record["needs"]) == set(PupilNeedsRow.__table__.columns.keys())
    assert (record["pupil"]["first_name"], record["pupil"]["last_name"]) == ("Amira", "Khanworth")
    assert record["pupil"]["postcode"] == "RM3 1XY"
    plan = next(p for p in record["plans"] if p["plan_id"] == world.plan_id)
    assert {j["run"] for j in plan["journeys"]} == {"AM", "PM"}
    assert all(j["pupil_id"] == "P001" for j in plan["journeys"])
    assert plan["stops"] and all("P001" in s["pupil_ids"] for s in plan["stops"])
    actions = {a["action"] for a in record["audit"]}
    assert {"scenario.eligibility_route", "plan.read"} <= actions
    # and the request itself is audited, by pseudonym
    again = world.client.get(record_url(world, "P001"), headers=o).json()
    assert "pupil.subject_access" in {a["action"] for a in again["audit"]}
    assert all("P001" not in a["resource"] for a in again["audit"])


def test_the_zip_has_one_formula_safe_csv_per_kind(world: World) -> None:
    response = world.client.get(record_url(world, "=P006", "zip"), headers=world.headers["officer"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"pupil.csv", "needs.csv", "journeys.csv", "stops.csv", "audit.csv"} <= set(
        archive.namelist()
    )
    pupil = {
        r["field"]: r["value"]
        for r in csv.DictReader(io.StringIO(archive.read("pupil.csv").decode()))
    }
    assert pupil["last_name"] == "Grayholm"
    assert pupil["pupil_id"] != "=P006" and pupil["pupil_id"].endswith("=P006")  # neutralised
    journeys = list(csv.DictReader(io.StringIO(archive.read("journeys.csv").decode())))
    assert journeys and all(not j["pupil_id"].startswith("=") for j in journeys)


def test_only_officers_and_only_real_pupils(world: World) -> None:
    for user in ("finance", "school1"):
        response = world.client.get(record_url(world, "P001"), headers=world.headers[user])
        assert response.status_code == 403
    missing = world.client.get(record_url(world, "NOPE"), headers=world.headers["officer"])
    other = world.client.get("/api/v1/pupils/999999/P001/record", headers=world.headers["officer"])
    assert missing.status_code == other.status_code == 404


def test_the_audit_rows_are_found_through_the_resource_index(world: World) -> None:
    """Each condition of the audit query is one the index on resource answers, so a
    request never reads the whole log: SQLite searches the index for every term (LIKE,
    which ignores case, would make it scan); PostgreSQL, with sequential scans disabled,
    reads audit_log only through the index (LIKE '%...%' would force a scan)."""
    dialect = world.app.state.engine.dialect
    query = _audit_query(
        world.scenario_id, "pupil~0123456789abcdef0123", "S1", [world.plan_id], dialect.name
    )
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with world.factory() as session:
        if world.backend == "postgres":
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
            assert "Seq Scan on audit_log" not in plan, plan
        else:
            rows = session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = "\n".join(str(row[-1]) for row in rows)
            assert "SCAN audit_log" not in plan, plan
        assert "ix_audit_log_resource" in plan, plan


def test_a_plan_more_costs_no_query_more(fresh: World, tiny_files: dict[str, bytes]) -> None:
    """The pupil's journeys, stops and unassigned entries of every plan come in a fixed
    number of queries (plans, journeys, stops, unassigned), however many plans there are."""
    o = fresh.headers["officer"]
    scenario_id = upload_tiny(fresh.client, o, tiny_files)
    for seed in (1, 2):
        url = f"/api/v1/scenarios/{scenario_id}/plans"
        body = {"run": "AM", "time_limit_s": 1, "seed": seed}
        assert fresh.client.post(url, json=body, headers=o).status_code == 202
        assert fresh.worker().run_once()
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = fresh.app.state.engine
    with fresh.factory() as session:
        plan_ids = sorted(session.scalars(select(PlanRow.id)))
        event.listen(engine, "before_cursor_execute", count)
        try:
            records = _plan_records(session, scenario_id, "P001")
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(plan_ids) == 2 and [r["plan_id"] for r in records] == plan_ids
    assert all(r["journeys"] and r["stops"] for r in records)
    assert len(statements) == 4, statements
