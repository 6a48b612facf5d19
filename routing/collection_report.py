"""Who walks to which collection point, as the plan's outputs show it (walks.csv, stops.csv
columns, the words on a school's pickup list and a route sheet)."""

from __future__ import annotations

from routing.matrix import collection_point_location_id
from routing.model import CollectionWalk, Plan, Scenario

WALKS_FILE = "walks.csv"
WALKS_COLUMNS = (
    "pupil_id",
    "school_id",
    "point_id",
    "point_name",
    "lon",
    "lat",
    "walk_m",
    "walk_is_estimated",
)


def walks_rows(plan: Plan, scenario: Scenario) -> list[dict[str, object]]:
    """One row per pupil the plan picks up (AM) and sets down (PM) at a collection point."""
    points = scenario.collection_points_by_id()
    pupils = scenario.pupils_by_id()
    rows: list[dict[str, object]] = []
    for walk in plan.walks:
        point = points.get(walk.point_id)
        pupil = pupils.get(walk.pupil_id)
        rows.append(
            {
                "pupil_id": walk.pupil_id,
                "school_id": pupil.school_id if pupil is not None else "",
                "point_id": walk.point_id,
                "point_name": point.name if point is not None else "",
                "lon": point.lon if point is not None else "",
                "lat": point.lat if point is not None else "",
                "walk_m": walk.walk_m,
                "walk_is_estimated": walk.is_estimated,
            }
        )
    return rows


def pickup_place_words(plan: Plan, scenario: Scenario) -> dict[str, str]:
    """pupil id -> where the vehicle meets them, for people: "home", or the point's name
    and the walk ("Outside Hacton Primary School (walk 420 m)")."""
    points = scenario.collection_points_by_id()
    out: dict[str, str] = {}
    for walk in plan.walks:
        point = points.get(walk.point_id)
        name = point.name if point is not None else walk.point_id
        approx = "about " if walk.is_estimated else ""
        out[walk.pupil_id] = f"{name} (walk {approx}{walk.walk_m} m)"
    return out


def walk_cells(location_id: str, walk: CollectionWalk | None) -> dict[str, object]:
    """stops.csv's ``collection_point_id`` and ``walk_m`` for one pupil at one stop (blank
    unless the stop is the collection point the pupil walks to)."""
    if walk is None or location_id != collection_point_location_id(walk.point_id):
        return {"collection_point_id": "", "walk_m": ""}
    return {"collection_point_id": walk.point_id, "walk_m": walk.walk_m}
