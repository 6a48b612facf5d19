"""Subject access: GET /api/v1/pupils/{scenario_id}/{pupil_id}/record gives every field
held on the pupil, their plans and journeys and the audit rows about them, as JSON and
as a ZIP of formula-safe CSVs."""

from __future__ import annotations

import csv
import io
import zipfile

from api_support import World

from api.models import PupilNeedsRow, PupilRow


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
