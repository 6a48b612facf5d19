"""Plan exports through ``routing.reports`` (formula-safe CSV, GeoJSON), and rendered
documents (route sheets, pickup lists) as responses."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response

from api.features import Document
from api.models import PlanRow
from api.plan_store import plan_from_row
from routing.reports import STOPS_COLUMNS, csv_text, routes_geojson, stops_rows


def plan_csv(plan: PlanRow) -> str:
    """One row per pupil per stop; text cells a spreadsheet would run are neutralised."""
    return csv_text(STOPS_COLUMNS, stops_rows(plan_from_row(plan)))


def plan_geojson(plan: PlanRow) -> dict[str, Any]:
    """The worker's stored GeoJSON (road geometry when the scenario has roads), else
    straight segments between stops, labelled so."""
    if plan.geojson is not None:
        return plan.geojson
    return routes_geojson(plan_from_row(plan))


def document_response(
    document: Document, *, disposition: Literal["inline", "attachment"] = "inline"
) -> Response:
    """A rendered document about named pupils: never sniffed as another type, never cached."""
    return Response(
        document.text,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{document.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
