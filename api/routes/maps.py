"""The officer's map: the route table beside it and the layers under the routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api import features
from api.deps import Officer, ReadSessionDep, SettingsDep
from api.errors import not_found
from api.schemas import (
    MAX_ID,
    BaseLayerResponse,
    BaseMapResponse,
    ErrorResponse,
    RouteTableRowResponse,
    TileLayerResponse,
    route_table_response,
)

router = APIRouter(prefix="/api/v1", tags=["map"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="Plan id")]
ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}


@router.get(
    "/plans/{plan_id}/route-table", response_model=list[RouteTableRowResponse], responses=NOT_FOUND
)
def read_route_table(
    plan_id: PlanId, user: Officer, session: ReadSessionDep
) -> list[RouteTableRowResponse]:
    """One row per route: vehicle, assistant, pupils, occupancy, first pickup, arrival,
    longest ride and cost (counts and times only: no pupil is named)."""
    rows = features.plan_route_table(session, plan_id)
    if rows is None:
        raise not_found("plan", plan_id)
    return [route_table_response(row) for row in rows]


@router.get("/scenarios/{scenario_id}/basemap", response_model=BaseMapResponse, responses=NOT_FOUND)
def read_basemap(
    scenario_id: ScenarioId, user: Officer, settings: SettingsDep, session: ReadSessionDep
) -> BaseMapResponse:
    """The tile server from the settings (none by default: no internet needed) and the
    scenario's boundary and road layers, each with its attribution."""
    layers = features.scenario_base_layers(session, scenario_id)
    if layers is None:
        raise not_found("scenario", scenario_id)
    tiles = (
        TileLayerResponse(
            url=settings.map_tile_url,
            attribution=settings.map_tile_attribution,
            max_zoom=settings.map_tile_max_zoom,
        )
        if settings.map_tile_url
        else None
    )
    return BaseMapResponse(
        scenario_id=scenario_id,
        tiles=tiles,
        layers=[
            BaseLayerResponse(name=layer.name, attribution=layer.attribution, geojson=layer.geojson)
            for layer in layers
        ],
    )
