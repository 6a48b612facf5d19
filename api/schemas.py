"""Request and response models (``...Request`` / ``...Response``), and the conversions
from stored rows. Field names carry units as in the domain; times of day are also shown
as ``"08:45"`` here, and only here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models import JobRow, PlanRouteRow, PlanRow, PlanUnassignedRow
from routing.clock import SECONDS_PER_DAY, format_clock
from routing.eligibility import EligibilityDecision
from routing.route_table import RouteTableRow

MAX_ID = 2**62  # path ids beyond any database integer are simply not found


def clock(seconds_after_midnight: int) -> str:
    """``29700`` -> ``"08:15"`` (times past midnight wrap; negative clamp to 00:00)."""
    return format_clock(max(0, int(seconds_after_midnight)) % SECONDS_PER_DAY)


class ErrorResponse(BaseModel):
    code: str
    message: str
    request_id: str | None = None
    issues: list[RowIssueResponse] | None = None


class RowIssueResponse(BaseModel):
    file: str
    row: int
    field: str
    value: str
    message: str


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str
    database: str
    schema_at_head: bool


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in_s: int
    role: str
    # Exchange at POST /token (grant_type=refresh_token) for a new pair; revoke at
    # POST /token/revoke. Rotated on each use.
    refresh_token: str
    refresh_expires_at: datetime


class ErasureResponse(BaseModel):
    """What erasing a pupil removed; the pupil is named by pseudonym only."""

    scenario_id: int
    pseudonym: str
    num_plans_amended: int
    num_routes_amended: int
    num_trips_removed: int
    num_stops_removed: int


class RevokeResponse(BaseModel):
    status: str = "ok"


class MeResponse(BaseModel):
    username: str
    role: str
    school_ids: list[str]
    via: str


# --------------------------------------------------------------------------- scenarios


CellValue = str | int | float | bool | None


class ScenarioUploadRequest(BaseModel):
    """A scenario as JSON: each file of the scenario folder format (data/README.md),
    either as its text (``files``) or as a list of rows keyed by column (``tables``,
    keyed by file name without ``.csv``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    files: dict[str, str] = Field(default_factory=dict)
    tables: dict[str, list[dict[str, CellValue]]] = Field(default_factory=dict)


class ScenarioSummaryResponse(BaseModel):
    id: int
    name: str
    num_pupils: int
    num_schools: int
    has_road_network: bool
    created_at: datetime


class SchoolSummaryResponse(BaseModel):
    school_id: str
    name: str
    kind: str
    am_start: str
    pm_end: str
    num_pupils: int


class VehicleTypeResponse(BaseModel):
    name: str
    category: str
    capacity_seats: int
    max_wheelchair_places: int
    seats_per_wheelchair_place: int
    num_available: int | None
    day_rate_pence: int
    cost_per_mile_pence: int
    max_shift_s: int


class ScenarioResponse(ScenarioSummaryResponse):
    schools: list[SchoolSummaryResponse]
    vehicle_types: list[VehicleTypeResponse]
    policy: dict[str, Any]


class NeedsResponse(BaseModel):
    wheelchair: bool
    needs_assistant: bool
    travel_alone: bool
    vehicle_requirement: str
    boarding_s: int
    max_ride_s: int | None


class PupilResponse(BaseModel):
    """A pupil as the transport officer sees them (officer only, audited)."""

    pupil_id: str
    school_id: str
    first_name: str
    last_name: str
    postcode: str
    lon: float
    lat: float
    year_group: int
    attends_am: bool
    attends_pm: bool
    needs: NeedsResponse


class PupilListResponse(BaseModel):
    scenario_id: int
    school_id: str | None
    pupils: list[PupilResponse]


# --------------------------------------------------------------------------- jobs


class PlanRequest(BaseModel):
    """What to plan: which run, how long to search, and policy changes for this plan."""

    model_config = ConfigDict(extra="forbid")

    run: Literal["AM", "PM", "both"] = "both"
    time_limit_s: float = Field(default=30.0, gt=0, le=86_400)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    policy_overrides: dict[str, CellValue] = Field(default_factory=dict)


class JobProgressResponse(BaseModel):
    phase: str | None = None
    run: str | None = None
    parts_done: int | None = None
    parts_total: int | None = None
    elapsed_s: float | None = None
    message: str | None = None
    rides_over_45_min: int | None = None  # in the plan behind best_cost_pence, when known


class JobResponse(BaseModel):
    job_id: str
    kind: Literal["plan", "comparison"] = "plan"
    scenario_id: int
    state: str
    progress: JobProgressResponse | None
    best_cost_pence: int | None
    attempts: int
    plan_id: int | None
    comparison_id: int | None = None
    error_code: str | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(
        cls, job: JobRow, plan_id: int | None, comparison_id: int | None = None
    ) -> JobResponse:
        progress = job.progress or None
        return cls(
            job_id=job.id,
            kind="comparison" if job.kind == "comparison" else "plan",
            scenario_id=job.scenario_id,
            state=job.state,
            progress=JobProgressResponse(
                **{k: v for k, v in progress.items() if k in JobProgressResponse.model_fields}
            )
            if progress
            else None,
            best_cost_pence=job.best_cost_pence,
            attempts=job.attempts,
            plan_id=plan_id,
            comparison_id=comparison_id,
            error_code=job.error_code,
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


# --------------------------------------------------------------------------- plans


class StepResponse(BaseModel):
    kind: str
    pupil_ids: list[str]
    location_id: str
    school_id: str
    lon: float
    lat: float
    arrival_s: int
    service_start_s: int
    departure_s: int
    arrival: str
    service_start: str


class RouteCostResponse(BaseModel):
    route_id: str
    run: str
    vehicle_type: str
    seats: int
    wheelchair_places: int
    has_assistant: bool
    num_pupils: int
    distance_m: int
    duration_s: int
    cost_pence: int


class RouteResponse(RouteCostResponse):
    steps: list[StepResponse]


class UnassignedResponse(BaseModel):
    pupil_id: str
    school_id: str
    run: str
    code: str
    reason: str


class PlanLifecycleFields(BaseModel):
    """Where a plan is in its lifecycle (``routing.lifecycle``) and who approved it when."""

    status: Literal["draft", "approved", "published", "superseded"]
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None
    superseded_at: datetime | None
    version: int = 1  # an officer's edit makes version n + 1, a draft
    parent_plan_id: int | None = None  # the plan this version was edited from
    is_broken: bool = False  # a draft kept although it breaks a rule: never approved
    locked_route_ids: list[str] = []


class PlanStatusResponse(PlanLifecycleFields):
    """A plan's lifecycle after a step; ``superseded`` lists the plans publishing replaced."""

    id: int
    scenario_id: int
    superseded: list[int]


class PlanSummaryResponse(PlanLifecycleFields):
    """A plan as finance sees it: costs and counts per route, no stops or pupils."""

    id: int
    scenario_id: int
    scenario_name: str
    job_id: str | None
    created_at: datetime
    runs: list[str]
    travel_model: str
    solve_seconds: float
    summary: dict[str, Any]
    routes: list[RouteCostResponse]


class WalkResponse(BaseModel):
    """A pupil picked up (AM) and set down (PM) at a collection point: which, and how far
    they walk from home (``walk_is_estimated``: straight line x 1.3, no footpath network)."""

    pupil_id: str
    point_id: str
    walk_m: int
    walk_is_estimated: bool


class PlanResponse(PlanSummaryResponse):
    """A plan as the officer sees it (VROOM's shape: summary, routes[].steps[], unassigned)."""

    routes: list[RouteResponse]  # type: ignore[assignment]
    unassigned: list[UnassignedResponse]
    notes: list[str]
    walks: list[WalkResponse] = []


class PlanListItemResponse(BaseModel):
    id: int
    scenario_id: int
    scenario_name: str
    created_at: datetime
    status: str
    runs: list[str]
    day_cost_pence: int | None
    num_routes: int | None


def _route_cost(route: PlanRouteRow, num_pupils: int) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "run": route.run,
        "vehicle_type": route.vehicle_type,
        "seats": route.seats,
        "wheelchair_places": route.wheelchair_places,
        "has_assistant": route.has_assistant,
        "num_pupils": num_pupils,
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "cost_pence": route.cost_pence,
    }


def _num_pupils(route: PlanRouteRow) -> int:
    return sum(len(s.pupil_ids) for s in route.stops if s.kind == "pickup")


def _lifecycle(plan: PlanRow) -> dict[str, Any]:
    return {
        "status": plan.status,
        "approved_by": plan.approved_by,
        "approved_at": plan.approved_at,
        "published_at": plan.published_at,
        "superseded_at": plan.superseded_at,
        "version": plan.version or 1,
        "parent_plan_id": plan.parent_plan_id,
        "is_broken": bool(plan.is_broken),
        "locked_route_ids": sorted((plan.locks or {}).get("locked_route_ids", [])),
    }


def plan_status_response(plan: PlanRow, superseded: list[int]) -> PlanStatusResponse:
    return PlanStatusResponse(
        id=plan.id, scenario_id=plan.scenario_id, superseded=superseded, **_lifecycle(plan)
    )


def _plan_head(plan: PlanRow) -> dict[str, Any]:
    return {
        **_lifecycle(plan),
        "id": plan.id,
        "scenario_id": plan.scenario_id,
        "scenario_name": plan.scenario_name,
        "job_id": plan.job_id,
        "created_at": plan.created_at,
        "runs": list(plan.runs),
        "travel_model": plan.travel_model,
        "solve_seconds": plan.solve_seconds,
        "summary": plan.summary,
    }


def plan_summary_response(plan: PlanRow) -> PlanSummaryResponse:
    return PlanSummaryResponse(
        **_plan_head(plan),
        routes=[RouteCostResponse(**_route_cost(r, _num_pupils(r))) for r in plan.routes],
    )


def plan_response(plan: PlanRow) -> PlanResponse:
    return PlanResponse(
        **_plan_head(plan),
        routes=[
            RouteResponse(
                **_route_cost(r, _num_pupils(r)),
                steps=[
                    StepResponse(
                        kind=s.kind,
                        pupil_ids=list(s.pupil_ids),
                        location_id=s.location_id,
                        school_id=s.school_id,
                        lon=s.lon,
                        lat=s.lat,
                        arrival_s=s.arrival_s,
                        service_start_s=s.service_start_s,
                        departure_s=s.departure_s,
                        arrival=clock(s.arrival_s),
                        service_start=clock(s.service_start_s),
                    )
                    for s in r.stops
                ],
            )
            for r in plan.routes
        ],
        unassigned=[unassigned_response(u) for u in plan.unassigned],
        notes=[str(n) for n in plan.notes],
        walks=[
            WalkResponse(
                pupil_id=str(w["pupil_id"]),
                point_id=str(w["point_id"]),
                walk_m=int(w["walk_m"]),
                walk_is_estimated=bool(w["is_estimated"]),
            )
            for w in plan.walks or ()
        ],
    )


def unassigned_response(u: PlanUnassignedRow) -> UnassignedResponse:
    return UnassignedResponse(
        pupil_id=u.pupil_id, school_id=u.school_id, run=u.run, code=u.code, reason=u.reason
    )


class ComparisonResponse(BaseModel):
    """The plan against the current arrangement (routing.comparison.Comparison as JSON)."""

    plan_id: int
    scenario_id: int
    summary: dict[str, Any]
    comparison: dict[str, Any] | None


class ModesResponse(BaseModel):
    """Every way to school per pupil of a plan, priced a year (routing.modes as JSON).

    ``rows``: one per pupil, modes.csv's columns; for finance ``pupil_id`` is a row
    number.
    ``switches`` are the council-wide savings if every family for whom a mode is
    cheaper took it, each with its assumption in words.
    """

    plan_id: int
    scenario_name: str
    school_days_per_year: int
    travel_model: str
    mode_words: dict[str, str]
    cheapest_counts: dict[str, int]
    switches: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    notes: list[str]


# --------------------------------------------------------------------------- eligibility


class EligibilityDecisionResponse(BaseModel):
    """One pupil's entitlement to transport (s508B), the rule it rests on and why."""

    pupil_id: str
    school_id: str
    is_eligible: bool
    rule: str = Field(description="The first ground that applies (routing.eligibility)")
    rules_met: list[str] = Field(description="Every ground that applies")
    reason: str
    walk_distance_m: float | None = Field(
        description="Shortest walking route home to school; null if it could not be measured"
    )
    statutory_limit_m: float = Field(description="2 miles under 8, 3 miles from 8")
    is_indicative: bool = Field(
        description="True when the distance was estimated (no walk network), not measured"
    )
    age_years: int
    age_band: str

    @classmethod
    def from_domain(cls, d: EligibilityDecision) -> EligibilityDecisionResponse:
        return cls(
            pupil_id=d.pupil_id,
            school_id=d.school_id,
            is_eligible=d.is_eligible,
            rule=d.rule.value,
            rules_met=[r.value for r in d.rules_met],
            reason=d.reason,
            walk_distance_m=None if d.walk_distance_m is None else round(d.walk_distance_m, 1),
            statutory_limit_m=round(d.statutory_limit_m, 1),
            is_indicative=d.is_indicative,
            age_years=d.age_years,
            age_band=d.age_band.value,
        )


class EligibilityResponse(BaseModel):
    scenario_id: int
    school_id: str | None
    num_pupils: int
    num_eligible: int
    is_indicative: bool = Field(description="Any distance estimated rather than measured")
    decisions: list[EligibilityDecisionResponse]


# --------------------------------------------------------------------------- comparisons


class ComparisonRequest(BaseModel):
    """Finance what-ifs: the baseline and each variant planned and set side by side.

    Each variant is ``NAME=OVERRIDE[,OVERRIDE...]`` in the grammar of
    ``routing/variants/overrides.py`` (e.g. ``ride60=ride_limit_primary_min=60``,
    ``nomix=mixed_schools=false``, ``bell=school:ID:am_shift_min=15``,
    ``ptb=budget:P0001;P0002``, ``dearer=price_factor=1.1``,
    ``taxi=vehicle:taxi:day_rate_gbp=95``). Price-list files (``vehicle_prices:PATH``)
    are refused: the service reads no files named by a caller.
    """

    model_config = ConfigDict(extra="forbid")

    variants: list[str] = Field(min_length=1, max_length=50)
    run: Literal["AM", "PM", "both"] = "both"
    time_limit_s: float = Field(
        default=30.0, gt=0, le=86_400, description="Seconds per run of each plan"
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    include_current: bool = Field(
        default=True, description="Add today's arrangement as a row, when it is known"
    )


class VariantRowResponse(BaseModel):
    """One line of the side-by-side table (``routing.variants.variant_rows``); also one
    ``vehicles_<type>`` count per vehicle type."""

    model_config = ConfigDict(extra="allow")

    variant: str
    description: str
    annual_cost_gbp: float
    change_vs_baseline_gbp: float | str
    change_vs_baseline_pct: float | str
    cost_per_pupil_gbp: float
    day_cost_gbp: float
    num_pupils: int
    num_vehicles: int
    num_assistants: int
    pupils_over_45_min: int
    pupils_over_75_min: int
    mean_ride_min: float
    max_ride_min: float
    num_unassigned: int
    estimated_annual_gbp: float
    num_budget_pupils: int
    budget_annual_gbp: float
    error: str


class VariantComparisonResponse(BaseModel):
    id: int
    scenario_id: int
    scenario_name: str
    job_id: str | None
    created_at: datetime
    variants: list[str]
    run: str
    time_limit_s: float
    travel_model: str
    rows: list[VariantRowResponse]


# --------------------------------------------------------------------------- schools


class PickupResponse(BaseModel):
    """One pupil's journey as their school sees it: first name and initial only."""

    name: str
    run: str
    pickup: str
    pickup_s: int
    arrival: str
    arrival_s: int
    vehicle: str
    route_id: str
    has_assistant: bool
    pickup_place: str = "home"  # or the collection point's name and the walk to it


class PickupListResponse(BaseModel):
    plan_id: int
    school_id: str
    run: str | None
    pupils: list[PickupResponse]


def pickup_response(trip: Any) -> PickupResponse:
    """From a ``plan_trips`` row (ORM object or plain row with the same names), unvalidated:
    the database's column types already are the model's."""
    return PickupResponse.model_construct(
        name=trip.display_name,
        run=trip.run,
        pickup=clock(trip.pickup_s),
        pickup_s=trip.pickup_s,
        arrival=clock(trip.dropoff_s),
        arrival_s=trip.dropoff_s,
        vehicle=trip.vehicle_type,
        route_id=trip.route_id,
        has_assistant=trip.has_assistant,
        pickup_place=getattr(trip, "pickup_place", "home"),
    )


class SchoolPlanResponse(BaseModel):
    plan_id: int
    scenario_id: int
    scenario_name: str
    created_at: datetime
    runs: list[str]
    status: str


class AuditEntryResponse(BaseModel):
    id: int
    at: datetime
    username: str
    role: str
    action: str
    resource: str
    request_id: str
    detail: dict[str, Any]


ErrorResponse.model_rebuild()


# --------------------------------------------------------------------------- map


class RouteTableRowResponse(BaseModel):
    """One route of the officer's route table (``routing.route_table``): no pupils named."""

    route_id: str
    run: str
    vehicle_type: str
    has_assistant: bool
    num_pupils: int
    peak_on_board: int
    num_places: int
    occupancy_pct: int
    first_pickup: str
    first_pickup_s: int
    arrival: str
    arrival_s: int
    longest_ride_s: int
    cost_pence: int
    distance_m: int
    duration_s: int
    school_ids: list[str]


def route_table_response(row: RouteTableRow) -> RouteTableRowResponse:
    """A ``routing.route_table.RouteTableRow`` as the API shows it."""
    return RouteTableRowResponse(
        route_id=row.route_id,
        run=row.run.value,
        vehicle_type=row.vehicle_type,
        has_assistant=row.has_assistant,
        num_pupils=row.num_pupils,
        peak_on_board=row.peak_on_board,
        num_places=row.num_places,
        occupancy_pct=round(100 * row.occupancy),
        first_pickup=clock(row.first_pickup_s),
        first_pickup_s=row.first_pickup_s,
        arrival=clock(row.arrival_s),
        arrival_s=row.arrival_s,
        longest_ride_s=row.longest_ride_s,
        cost_pence=row.cost_pence,
        distance_m=row.distance_m,
        duration_s=row.duration_s,
        school_ids=list(row.school_ids),
    )


class TileLayerResponse(BaseModel):
    """A tile server from the settings (``SCHOOLRUN_MAP_TILE_URL``)."""

    url: str
    attribution: str
    max_zoom: int


class BaseLayerResponse(BaseModel):
    """A layer drawn under the routes: ``boundary`` or ``roads`` (GeoJSON, lon/lat)."""

    name: str
    attribution: str
    geojson: dict[str, Any]


class BaseMapResponse(BaseModel):
    """What the officer's map draws under a scenario's routes: tiles when the settings
    name a server, and the scenario's boundary and roads (always, drawn faintly)."""

    scenario_id: int
    tiles: TileLayerResponse | None
    layers: list[BaseLayerResponse]


# --------------------------------------------------------------------------- edits


class EditRequest(BaseModel):
    """One officer's edit of a plan (``routing.plan_edit``).

    ``lock``/``unlock`` a route (``route_id``): its vehicle, assistant and order are kept
    by edits and re-plans; ``pin`` a pupil (``pupil_id``, ``run``) to ``route_id``
    (moving them there if needed); ``move`` a pupil to ``to_route_id`` (optionally as the
    route's ``home_position``-th home stop, 0 first; default the cheapest place);
    ``reorder`` the homes of ``route_id`` as ``order`` (every pupil of the route once).
    ``force`` keeps an edit that breaks a rule as a draft marked broken.
    """

    model_config = ConfigDict(extra="forbid")

    action: Literal["lock", "unlock", "pin", "move", "reorder"]
    route_id: str | None = Field(default=None, max_length=100)
    pupil_id: str | None = Field(default=None, max_length=100)
    run: Literal["AM", "PM"] | None = None
    to_route_id: str | None = Field(default=None, max_length=100)
    home_position: int | None = Field(default=None, ge=0, le=1000)
    order: list[str] | None = Field(default=None, max_length=1000)
    force: bool = False


class ViolationResponse(BaseModel):
    kind: str
    run: str
    route_id: str
    pupil_id: str
    message: str


class LocksResponse(BaseModel):
    locked_route_ids: list[str]
    pins: list[dict[str, str]]


class EditResponse(BaseModel):
    """The plan an edit made (or changed, for locks) and the checker's verdict on it."""

    plan_id: int
    parent_plan_id: int | None
    version: int
    status: str
    is_broken: bool
    description: str
    cost_change_pence: int
    changed_route_ids: list[str]
    violations: list[ViolationResponse]
    locks: LocksResponse


class ChangeResponse(BaseModel):
    pupil_id: str
    run: str
    change: Literal["new", "left", "vehicle", "home_time", "assistant"]
    old: str
    new: str
    minutes: int


class PlanChangesResponse(BaseModel):
    """What changed from plan ``since_plan_id`` to plan ``plan_id``, per pupil and run.

    ``num_upset``: pupils on both plans whose vehicle changed or whose home time (AM
    pickup, PM drop-off) moved by more than 5 minutes.
    """

    plan_id: int
    since_plan_id: int
    cost_change_pence: int
    num_upset: int
    routes_added: list[str]
    routes_removed: list[str]
    routes_changed: list[str]
    changes: list[ChangeResponse]


class ReplanRequest(BaseModel):
    """Re-plan an edited scenario (uploaded as its own scenario) against this plan."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: int = Field(ge=1, le=MAX_ID)
    time_limit_s: float = Field(default=2.0, gt=0, le=60)


class ReplanResponse(BaseModel):
    plan_id: int
    parent_plan_id: int
    scenario_id: int
    version: int
    status: str
    kept_route_ids: list[str]
    seconds: float
    changes: PlanChangesResponse
