"""Plan exports: formula-safe CSV and GeoJSON.

SWITCH: this is an api-side adapter written while ``routing/reports.py`` (features
helper) was not there yet. When it lands, ``plan_csv``/``plan_geojson`` should call it
and this module should shrink to the row -> domain conversion.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from api.models import PlanRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe
    (OWASP CSV injection); numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


CSV_COLUMNS = (
    "plan_id",
    "run",
    "route_id",
    "vehicle_type",
    "has_assistant",
    "stop_index",
    "kind",
    "pupil_ids",
    "school_id",
    "arrival_s",
    "service_start_s",
    "departure_s",
    "lon",
    "lat",
)


def plan_csv(plan: PlanRow) -> str:
    """One row per stop of every route, in route order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for route in plan.routes:
        for i, stop in enumerate(route.stops):
            row = (
                plan.id,
                route.run,
                route.route_id,
                route.vehicle_type,
                "yes" if route.has_assistant else "no",
                i,
                stop.kind,
                " ".join(stop.pupil_ids),
                stop.school_id,
                stop.arrival_s,
                stop.service_start_s,
                stop.departure_s,
                round(stop.lon, 6),
                round(stop.lat, 6),
            )
            writer.writerow([neutralise(c) for c in row])
    return out.getvalue()


def plan_geojson(plan: PlanRow) -> dict[str, Any]:
    """Routes as straight-segment LineStrings and stops as Points (lon, lat order)."""
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        coords = [[s.lon, s.lat] for s in route.stops]
        props = {
            "route_id": route.route_id,
            "run": route.run,
            "vehicle_type": route.vehicle_type,
            "has_assistant": route.has_assistant,
            "distance_m": route.distance_m,
            "duration_s": route.duration_s,
            "cost_pence": route.cost_pence,
            "geometry_kind": "straight",
        }
        if len(coords) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"feature": "route", **props},
                }
            )
        for i, stop in enumerate(route.stops):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
                    "properties": {
                        "feature": "stop",
                        "route_id": route.route_id,
                        "run": route.run,
                        "stop_index": i,
                        "kind": stop.kind,
                        "pupil_ids": list(stop.pupil_ids),
                        "school_id": stop.school_id,
                        "arrival_s": stop.arrival_s,
                        "departure_s": stop.departure_s,
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"plan_id": plan.id, "travel_model": plan.travel_model},
    }
