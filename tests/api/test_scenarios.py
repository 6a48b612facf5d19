"""Scenario upload (multipart and JSON), row-level errors, nothing stored on failure,
list/get/delete, and the upload limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import World, add_users, fresh_app, upload_tiny
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.models import PupilNeedsRow, PupilRow, ScenarioRow, SchoolRow


def count_rows(world: World) -> tuple[int, int, int, int]:
    with world.factory() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ScenarioRow, SchoolRow, PupilRow, PupilNeedsRow)
        )


def multipart(files: dict[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, content, "text/csv")) for name, content in files.items()]


def broken(files: dict[str, bytes]) -> dict[str, bytes]:
    """pupils.csv with a bad longitude on row 2 and an unknown school on row 3."""
    rows = list(csv.DictReader(io.StringIO(files["pupils.csv"].decode())))
    rows[0]["lon"] = "east-ish"
    rows[1]["school_id"] = "S404"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return {**files, "pupils.csv": out.getvalue().encode()}


def test_multipart_upload_stores_schools_pupils_and_needs(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    scenario_id = upload_tiny(fresh_any.client, fresh_any.headers["officer"], tiny_files)
    assert count_rows(fresh_any) == (1, 2, 6, 6)
    body = fresh_any.client.get(
        f"/api/v1/scenarios/{scenario_id}", headers=fresh_any.headers["officer"]
    )
    assert body.json()["num_pupils"] == 6
    assert [v["name"] for v in body.json()["vehicle_types"]] == ["taxi", "mpv", "wav", "minibus"]


def test_json_upload_takes_file_texts(fresh: World, tiny_files: dict[str, bytes]) -> None:
    response = fresh.client.post(
        "/api/v1/scenarios/json",
        json={"name": "as-json", "files": {k: v.decode() for k, v in tiny_files.items()}},
        headers=fresh.headers["officer"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "as-json"
    assert response.json()["num_pupils"] == 6


def test_json_upload_takes_row_lists(fresh: World, tiny_files: dict[str, bytes]) -> None:
    tables = {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(content.decode())))
        for name, content in tiny_files.items()
        if name.endswith(".csv")
    }
    response = fresh.client.post(
        "/api/v1/scenarios/json",
        json={
            "name": "rows",
            "tables": tables,
            "files": {"policy.toml": tiny_files["policy.toml"].decode()},
        },
        headers=fresh.headers["officer"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["num_schools"] == 2


@pytest.mark.parametrize("as_json", [False, True])
def test_invalid_rows_are_listed_by_file_row_field_and_nothing_is_stored(
    fresh_any: World, tiny_files: dict[str, bytes], as_json: bool
) -> None:
    before = count_rows(fresh_any)
    files = broken(tiny_files)
    if as_json:
        response = fresh_any.client.post(
            "/api/v1/scenarios/json",
            json={"name": "bad", "files": {k: v.decode() for k, v in files.items()}},
            headers=fresh_any.headers["officer"],
        )
    else:
        response = fresh_any.client.post(
            "/api/v1/scenarios",
            data={"name": "bad"},
            files=multipart(files),
            headers=fresh_any.headers["officer"],
        )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_scenario"
    where = {(i["file"], i["row"], i["field"]) for i in body["issues"]}
    assert ("pupils.csv", 2, "lon") in where
    assert ("pupils.csv", 3, "school_id") in where
    assert all(i["message"] for i in body["issues"])
    assert count_rows(fresh_any) == before


def test_missing_required_file_is_named(fresh: World, tiny_files: dict[str, bytes]) -> None:
    files = {k: v for k, v in tiny_files.items() if k != "schools.csv"}
    response = fresh.client.post(
        "/api/v1/scenarios",
        data={"name": "x"},
        files=multipart(files),
        headers=fresh.headers["officer"],
    )
    assert response.status_code == 422
    assert "schools.csv" in {i["file"] for i in response.json()["issues"]}


def test_upload_rejects_files_that_are_not_scenario_files(
    fresh: World, tiny_files: dict[str, bytes]
) -> None:
    files = {**tiny_files, "run.exe": b"MZ"}
    response = fresh.client.post(
        "/api/v1/scenarios",
        data={"name": "x"},
        files=multipart(files),
        headers=fresh.headers["officer"],
    )
    assert response.status_code == 422
    assert "run.exe" in response.json()["message"]


def test_delete_removes_the_scenario_its_pupils_and_plans(
    fresh_any: World, tiny_files: dict[str, bytes]
) -> None:
    scenario_id = upload_tiny(fresh_any.client, fresh_any.headers["officer"], tiny_files)
    url = f"/api/v1/scenarios/{scenario_id}"
    assert fresh_any.client.delete(url, headers=fresh_any.headers["finance"]).status_code == 403
    assert fresh_any.client.delete(url, headers=fresh_any.headers["officer"]).status_code == 204
    assert fresh_any.client.get(url, headers=fresh_any.headers["officer"]).status_code == 404
    assert fresh_any.client.delete(url, headers=fresh_any.headers["officer"]).status_code == 404
    assert count_rows(fresh_any) == (0, 0, 0, 0)


@pytest.mark.parametrize("scenario_id", ["0", "-1", str(2**63), "abc"])
def test_out_of_range_ids_are_422_not_500(world: World, scenario_id: str) -> None:
    response = world.client.get(
        f"/api/v1/scenarios/{scenario_id}", headers=world.headers["officer"]
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


# --------------------------------------------------------------------------- limits


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[World]:
    app, settings = fresh_app(tmp_path, max_body_bytes=4000, max_upload_rows=4)
    with TestClient(app) as client:
        world = World(backend="sqlite", app=app, client=client, settings=settings)
        add_users(world)
        yield world


def test_body_over_the_limit_gets_413_with_the_limit_in_the_message(limited: World) -> None:
    response = limited.client.post(
        "/api/v1/scenarios",
        data={"name": "big"},
        files=[("files", ("pupils.csv", b"x" * 5000, "text/csv"))],
        headers=limited.headers["officer"],
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert "4000 bytes" in response.json()["message"]


def test_chunked_body_without_length_is_still_limited(limited: World) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b'{"name": "' + b"y" * 1000

    response = limited.client.post(
        "/api/v1/scenarios/json",
        content=chunks(),
        headers={**limited.headers["officer"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_too_many_rows_gets_422_naming_file_and_limit(
    limited: World, tiny_files: dict[str, bytes]
) -> None:
    files = {k: v for k, v in tiny_files.items() if k in ("pupils.csv",)}
    response = limited.client.post(
        "/api/v1/scenarios",
        data={"name": "rows"},
        files=multipart(files),
        headers=limited.headers["officer"],
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "too_many_rows"
    assert "pupils.csv" in body["message"] and "limit per upload is 4" in body["message"]
