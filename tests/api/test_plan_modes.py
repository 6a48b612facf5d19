"""GET /api/v1/plans/{id}/modes: every way to school per pupil of a stored plan, priced.

The officer sees pupil ids, finance only row numbers (and the schools); a school may not
read it; every read is audited."""

from __future__ import annotations

from api_support import PUPILS, World
from sqlalchemy import select

from api.models import AuditRow

API = "/api/v1"


def test_officer_and_finance_read_modes_and_only_the_officer_sees_pupils(world: World) -> None:
    officer = world.client.get(
        f"{API}/plans/{world.plan_id}/modes", headers=world.headers["officer"]
    )
    assert officer.status_code == 200, officer.text
    body = officer.json()
    ids = {r["pupil_id"] for r in body["rows"]}
    assert ids <= {p[0] for p in PUPILS} and ids
    for row in body["rows"]:
        assert float(row["personal_budget_annual_gbp"]) > 0
        assert float(row["solo_taxi_annual_gbp"]) >= float(row["current_annual_gbp"]) or (
            row["route_place_annual_gbp"] is None
        )
        assert row["cheapest_mode"] in body["mode_words"]
    assert sum(body["cheapest_counts"].values()) == len(body["rows"])
    assert body["switches"][0]["switch_to"] == "cheapest"
    assert all("all at once" in s["assumption"] for s in body["switches"])

    finance = world.client.get(
        f"{API}/plans/{world.plan_id}/modes", headers=world.headers["finance"]
    )
    assert finance.status_code == 200, finance.text
    rows = finance.json()["rows"]
    assert [r["pupil_id"] for r in rows] == [f"#{k}" for k in range(1, len(rows) + 1)]
    for p in PUPILS:
        assert p[0] not in finance.text and p[3] not in finance.text
    assert [r["current_annual_gbp"] for r in rows] == [
        r["current_annual_gbp"] for r in body["rows"]
    ]
    with world.factory() as session:
        actions = session.scalars(select(AuditRow.action)).all()
    assert actions.count("plan.modes") >= 2


def test_modes_is_404_for_an_unknown_plan_and_403_for_a_school(world: World) -> None:
    missing = world.client.get(f"{API}/plans/999999/modes", headers=world.headers["finance"])
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    school = world.client.get(
        f"{API}/plans/{world.plan_id}/modes", headers=world.headers["school1"]
    )
    assert school.status_code == 403
