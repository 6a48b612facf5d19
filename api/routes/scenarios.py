"""Scenarios: upload (multipart or JSON), list, get, delete, and the officer's pupil list."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import audit, scenario_store
from api.deps import Officer, OfficerOrFinance, ReadSessionDep, SessionDep, SettingsDep
from api.domain import scenario_from_tables
from api.errors import ApiError, not_found
from api.models import PupilRow, ScenarioRow
from api.schemas import (
    MAX_ID,
    ErrorResponse,
    NeedsResponse,
    PupilListResponse,
    PupilResponse,
    ScenarioResponse,
    ScenarioSummaryResponse,
    ScenarioUploadRequest,
    SchoolSummaryResponse,
    VehicleTypeResponse,
    clock,
)

router = APIRouter(prefix="/api/v1/scenarios", tags=["scenarios"])

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
MAX_FILES = 20
ALLOWED_SUFFIXES = (".csv", ".toml", ".json", ".geojson")
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Body too large"},
    422: {"model": ErrorResponse, "description": "Row-level validation errors in `issues`"},
}


def _summary(row: ScenarioRow) -> ScenarioSummaryResponse:
    return ScenarioSummaryResponse(
        id=row.id,
        name=row.name,
        num_pupils=row.num_pupils,
        num_schools=row.num_schools,
        has_road_network=bool(row.source_dir and (row.network or {}).get("drive_graph")),
        created_at=row.created_at,
    )


def _check_file_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or not base.lower().endswith(ALLOWED_SUFFIXES):
        msg = f"File '{name}' is not a scenario file (expected {', '.join(ALLOWED_SUFFIXES)})."
        raise ApiError(422, "invalid_upload", msg)
    return base


def _check_rows(files: dict[str, bytes | str], max_rows: int) -> None:
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        rows = max(0, data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1))
        if rows > max_rows:
            msg = f"File '{name}' has {rows} rows; the limit per upload is {max_rows}."
            raise ApiError(422, "too_many_rows", msg)


def _store(
    session: Session, request: Request, user_id: int, files: dict[str, bytes | str], name: str
) -> ScenarioSummaryResponse:
    scenario = scenario_from_tables(files, name)  # raises with every row issue
    with session.begin():
        row = scenario_store.add_scenario(session, scenario, created_by=user_id, name=name)
        summary = _summary(row)
    return summary


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ScenarioSummaryResponse,
    responses=UPLOAD_ERRORS,
)
def upload_scenario(
    user: Officer,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    files: Annotated[list[UploadFile], File(description="The scenario's files")],
) -> ScenarioSummaryResponse:
    """Upload a scenario's files (data/README.md format) as multipart form data.

    Nothing is stored unless every row of every file is valid; the 422 body lists each
    issue as file, row, field, value and message.
    """
    if len(files) > MAX_FILES:
        raise ApiError(422, "too_many_files", f"At most {MAX_FILES} files per upload.")
    tables: dict[str, bytes | str] = {}
    for upload in files:
        tables[_check_file_name(upload.filename or "")] = upload.file.read()
    _check_rows(tables, settings.max_upload_rows)
    return _store(session, request, user.user_id, tables, name)


def _rows_to_csv(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


@router.post(
    "/json",
    status_code=status.HTTP_201_CREATED,
    response_model=ScenarioSummaryResponse,
    responses=UPLOAD_ERRORS,
)
def upload_scenario_json(
    user: Officer,
    body: ScenarioUploadRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> ScenarioSummaryResponse:
    """Upload a scenario as JSON: file texts in ``files`` or row lists in ``tables``."""
    if len(body.files) + len(body.tables) > MAX_FILES:
        raise ApiError(422, "too_many_files", f"At most {MAX_FILES} files per upload.")
    for table, rows in body.tables.items():
        if len(rows) > settings.max_upload_rows:
            msg = (
                f"Table '{table}' has {len(rows)} rows; the limit per upload is "
                f"{settings.max_upload_rows}."
            )
            raise ApiError(422, "too_many_rows", msg)
    tables: dict[str, bytes | str] = {_check_file_name(k): v for k, v in body.files.items()}
    for table, rows in body.tables.items():
        if rows:  # an empty list has no columns to write: treat it as an absent file
            tables[_check_file_name(table if "." in table else f"{table}.csv")] = _rows_to_csv(rows)
    _check_rows(tables, settings.max_upload_rows)
    return _store(session, request, user.user_id, tables, body.name)


@router.get("", response_model=list[ScenarioSummaryResponse])
def list_scenarios(
    user: OfficerOrFinance, session: ReadSessionDep
) -> list[ScenarioSummaryResponse]:
    """Every scenario, newest first (counts only)."""
    rows = session.scalars(select(ScenarioRow).order_by(ScenarioRow.id.desc()))
    return [_summary(r) for r in rows]


@router.get(
    "/{scenario_id}", response_model=ScenarioResponse, responses={404: {"model": ErrorResponse}}
)
def get_scenario(
    scenario_id: ScenarioId, user: OfficerOrFinance, session: ReadSessionDep
) -> ScenarioResponse:
    """A scenario's schools (with pupil counts), vehicle types and policy; no pupils."""
    row = scenario_store.get_scenario_row(session, scenario_id)
    if row is None:
        raise not_found("scenario", scenario_id)
    counts = Counter(
        dict(
            session.execute(
                select(PupilRow.school_id, func.count())
                .where(PupilRow.scenario_id == scenario_id)
                .group_by(PupilRow.school_id)
            ).all()
        )
    )
    return ScenarioResponse(
        **_summary(row).model_dump(),
        schools=[
            SchoolSummaryResponse(
                school_id=s.school_id,
                name=s.name,
                kind=s.kind,
                am_start=clock(s.am_start_s),
                pm_end=clock(s.pm_end_s),
                num_pupils=counts.get(s.school_id, 0),
            )
            for s in row.schools
        ],
        vehicle_types=[
            VehicleTypeResponse(
                name=v.name,
                category=v.category,
                capacity_seats=v.capacity_seats,
                max_wheelchair_places=v.max_wheelchair_places,
                seats_per_wheelchair_place=v.seats_per_wheelchair_place,
                num_available=v.num_available,
                day_rate_pence=v.day_rate_pence,
                cost_per_mile_pence=v.cost_per_mile_pence,
                max_shift_s=v.max_shift_s,
            )
            for v in row.vehicle_types
        ],
        policy=dict(row.policy),
    )


@router.get(
    "/{scenario_id}/pupils",
    response_model=PupilListResponse,
    responses={404: {"model": ErrorResponse}},
)
def list_pupils(
    scenario_id: ScenarioId,
    user: Officer,
    request: Request,
    session: SessionDep,
    school_id: Annotated[str | None, Query(max_length=100)] = None,
) -> PupilListResponse:
    """The scenario's pupils with their needs, optionally of one school (audited)."""
    if scenario_store.get_scenario_row(session, scenario_id) is None:
        raise not_found("scenario", scenario_id)
    query = select(PupilRow).where(PupilRow.scenario_id == scenario_id)
    if school_id is not None:
        query = query.where(PupilRow.school_id == school_id)
    pupils = list(session.scalars(query.order_by(PupilRow.position)).unique())
    audit.record(
        session,
        request,
        user,
        "scenario.pupils",
        f"scenario:{scenario_id}",
        school_id=school_id,
        num_pupils=len(pupils),
    )
    session.commit()
    return PupilListResponse(
        scenario_id=scenario_id,
        school_id=school_id,
        pupils=[
            PupilResponse(
                pupil_id=p.pupil_id,
                school_id=p.school_id,
                first_name=p.first_name,
                last_name=p.last_name,
                postcode=p.postcode,
                lon=p.lon,
                lat=p.lat,
                year_group=p.year_group,
                attends_am=p.attends_am,
                attends_pm=p.attends_pm,
                needs=NeedsResponse(
                    wheelchair=p.needs.wheelchair,
                    needs_assistant=p.needs.needs_assistant,
                    travel_alone=p.needs.travel_alone,
                    vehicle_requirement=p.needs.vehicle_requirement,
                    boarding_s=p.needs.boarding_s,
                    max_ride_s=p.needs.max_ride_s,
                ),
            )
            for p in pupils
        ],
    )


@router.delete(
    "/{scenario_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorResponse}},
)
def delete_scenario(scenario_id: ScenarioId, user: Officer, session: SessionDep) -> None:
    """Delete a scenario with its plans and jobs (a running job's result is discarded)."""
    with session.begin():
        if not scenario_store.delete_scenario(session, scenario_id):
            raise not_found("scenario", scenario_id)
