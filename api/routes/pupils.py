"""One pupil's data-protection requests, for officers: erasure and subject access."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api import audit
from api.deps import Officer, ReadSessionDep, SessionDep
from api.erasure import erase_pupil, flush_sqlite_files
from api.errors import not_found
from api.pseudonyms import pupil_pseudonym, pupil_resource
from api.schemas import MAX_ID, ErasureResponse, ErrorResponse
from api.subject_access import pupil_record, record_zip

router = APIRouter(prefix="/api/v1/pupils", tags=["pupils"])

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
PupilId = Annotated[str, Path(min_length=1, max_length=100, description="Pupil id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.delete("/{scenario_id}/{pupil_id}", response_model=ErasureResponse, responses=NOT_FOUND)
def delete_pupil(
    scenario_id: ScenarioId, pupil_id: PupilId, user: Officer, request: Request, session: SessionDep
) -> ErasureResponse:
    """Erase a pupil from the scenario, its plans, pickup lists and exports (audited by
    pseudonym: the audit row does not hold the id)."""
    report = erase_pupil(session, scenario_id, pupil_id, request.app.state.clock())
    if report is None:
        raise not_found("pupil", pupil_id)
    pseudonym = pupil_pseudonym(request.app.state.pseudonym_key, scenario_id, pupil_id)
    audit.record(
        session,
        request,
        user,
        "pupil.erase",
        pupil_resource(scenario_id, pseudonym),
        num_plans_amended=report.num_plans_amended,
        num_routes_amended=report.num_routes_amended,
    )
    session.commit()
    session.close()
    flush_sqlite_files(request.app.state.engine)
    return ErasureResponse(
        scenario_id=scenario_id,
        pseudonym=pseudonym,
        num_plans_amended=report.num_plans_amended,
        num_routes_amended=report.num_routes_amended,
        num_trips_removed=report.num_trips_removed,
        num_stops_removed=report.num_stops_removed,
    )


@router.get(
    "/{scenario_id}/{pupil_id}/record",
    responses={
        **NOT_FOUND,
        200: {"content": {"application/json": {}, "application/zip": {}}},
    },
)
def read_pupil_record(
    scenario_id: ScenarioId,
    pupil_id: PupilId,
    user: Officer,
    request: Request,
    session: ReadSessionDep,
    format: Annotated[Literal["json", "zip"], Query()] = "json",
) -> Response:
    """Subject access: every field held on the pupil, their plans and journeys, and every
    audit row about them, as JSON or (``?format=zip``) a ZIP of formula-safe CSVs."""
    pseudonym = pupil_pseudonym(request.app.state.pseudonym_key, scenario_id, pupil_id)
    record = pupil_record(session, scenario_id, pupil_id, pseudonym)
    if record is None:
        raise not_found("pupil", pupil_id)
    session.rollback()  # end the read before the audit row takes the write lock
    audit.record_now(
        request, user, "pupil.subject_access", pupil_resource(scenario_id, pseudonym), format=format
    )
    if format == "zip":
        return Response(
            record_zip(record),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{pseudonym}.zip"'},
        )
    return JSONResponse(record)
