"""The domain: schools, pupils and their needs, vehicles, policy, scenarios and plans.

Frozen, slotted dataclasses checked in ``__post_init__``; change them with
``dataclasses.replace``. Every number carries its unit in its name; times of day are
seconds after local midnight; money inside the domain is integer pence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from routing.errors import InvalidScenarioError

SECONDS_PER_MINUTE = 60
METRES_PER_MILE = 1609.344


class SchoolKind(StrEnum):
    """What kind of setting a school is."""

    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "ap"
    MAINSTREAM = "mainstream"
    RESOURCED = "resourced"  # mainstream school with an SEN unit / resourced provision


class Run(StrEnum):
    """The two journeys of a school day."""

    AM = "AM"  # home -> school
    PM = "PM"  # school -> home


class VehicleRequirement(StrEnum):
    """A vehicle a pupil must have, whatever else the plan does."""

    NONE = "none"
    WHEELCHAIR_ACCESSIBLE = "wheelchair_accessible"  # a vehicle with wheelchair places
    SMALL_VEHICLE = "small_vehicle"  # at most SMALL_VEHICLE_MAX_SEATS seats (no minibus)


SMALL_VEHICLE_MAX_SEATS = 8


class VehicleCategory(StrEnum):
    """Broad kind of vehicle; used for reporting and for requirements."""

    TAXI = "taxi"
    MPV = "mpv"
    WAV = "wav"  # wheelchair-accessible vehicle
    MINIBUS = "minibus"


class RouteStart(StrEnum):
    """Where a route's distance and time are counted from."""

    FIRST_PICKUP = "first_pickup"  # contracts priced on the passenger-carrying leg
    DEPOT = "depot"  # from and back to the policy's depot


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class UnassignedCode(StrEnum):
    """Why a pupil is left off a run, as a code a program can act on (the words are in
    ``Unassigned.reason``). The values are what the CSV, JSON and API carry."""

    UNPLANNED = "unplanned"  # no more specific reason given
    UNREACHABLE = "unreachable"  # home, school or depot not on the road network
    DIRECT_RIDE_TOO_LONG = "direct_ride_too_long"  # the direct journey exceeds the ride limit
    SCHOOL_WINDOW = "school_window"  # no time inside the school's window and the ride limit
    NO_VEHICLE = "no_vehicle"  # no vehicle type or layout can carry the pupil (or group)
    SHIFT_TOO_SHORT = "shift_too_short"  # the journey alone is longer than any shift
    NOT_PLACED = "not_placed"  # feasible alone, but the search found no vehicle in time
    SIBLINGS_APART = "siblings_apart"  # siblings at two schools could not ride together
    FLEET_FULL = "fleet_full"  # every vehicle that could carry the pupil is in use on the run
    NOT_IN_CURRENT_ARRANGEMENT = "not_in_current_arrangement"  # baseline: on no current route


def _check(condition: bool, msg: str) -> None:
    if not condition:
        raise InvalidScenarioError(msg)


@dataclass(frozen=True, slots=True)
class School:
    """A school, with its bell times and arrival window.

    AM arrival must fall in ``[am_start_s - arrive_window_open_s, am_start_s -
    arrive_window_close_s]``; PM departure is no earlier than ``pm_end_s`` and no later
    than ``pm_end_s + pm_max_wait_s``. ``handover_s`` is the time to hand one pupil over
    at the gate (AM drop-off and PM collection).
    """

    school_id: str
    name: str
    lon: float
    lat: float
    kind: SchoolKind
    am_start_s: int
    pm_end_s: int
    arrive_window_open_s: int = 25 * SECONDS_PER_MINUTE
    arrive_window_close_s: int = 5 * SECONDS_PER_MINUTE
    pm_max_wait_s: int = 20 * SECONDS_PER_MINUTE
    handover_s: int = 30
    postcode: str = ""
    local_authority: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.school_id), "School school_id must not be empty.")
        _check(-180 <= self.lon <= 180, f"School '{self.school_id}' lon {self.lon} out of range.")
        _check(-90 <= self.lat <= 90, f"School '{self.school_id}' lat {self.lat} out of range.")
        _check(
            0 <= self.am_start_s < self.pm_end_s <= 24 * 3600,
            f"School '{self.school_id}' am_start_s {self.am_start_s} must be before "
            f"pm_end_s {self.pm_end_s}.",
        )
        _check(
            self.arrive_window_open_s >= self.arrive_window_close_s >= 0,
            f"School '{self.school_id}' arrival window opens {self.arrive_window_open_s} s "
            f"before the bell but closes {self.arrive_window_close_s} s before it.",
        )
        _check(self.pm_max_wait_s >= 0, f"School '{self.school_id}' pm_max_wait_s < 0.")
        _check(self.handover_s >= 0, f"School '{self.school_id}' handover_s < 0.")

    @property
    def am_arrival_window_s(self) -> tuple[int, int]:
        return (
            self.am_start_s - self.arrive_window_open_s,
            self.am_start_s - self.arrive_window_close_s,
        )

    @property
    def pm_departure_window_s(self) -> tuple[int, int]:
        return (self.pm_end_s, self.pm_end_s + self.pm_max_wait_s)


@dataclass(frozen=True, slots=True)
class Needs:
    """What a pupil needs on the journey. No diagnoses: only what transport must do.

    ``max_ride_s`` None means the policy default for the pupil's age.
    """

    wheelchair: bool = False
    needs_assistant: bool = False
    travel_alone: bool = False
    vehicle_requirement: VehicleRequirement = VehicleRequirement.NONE
    boarding_s: int = 60
    max_ride_s: int | None = None

    def __post_init__(self) -> None:
        _check(self.boarding_s >= 0, f"boarding_s must be >= 0, got {self.boarding_s}.")
        _check(
            self.max_ride_s is None or self.max_ride_s > 0,
            f"max_ride_s must be > 0, got {self.max_ride_s}.",
        )


@dataclass(frozen=True, slots=True)
class Pupil:
    """An eligible pupil (synthetic in this repository; real ones never are).

    ``year_group`` follows England's numbering: 0 reception, 1-6 primary, 7-11
    secondary, 12-13 sixth form, 14+ post-19 provision up to age 25.
    """

    pupil_id: str
    school_id: str
    lon: float
    lat: float
    year_group: int
    first_name: str = ""
    last_name: str = ""
    postcode: str = ""
    date_of_birth: date | None = None
    needs: Needs = field(default_factory=Needs)
    sibling_group: str = ""
    attends_am: bool = True
    attends_pm: bool = True
    # Eligibility inputs (s508B): an assessment that the pupil cannot reasonably walk,
    # low-income family (extended rights), an officer's unsafe-route finding.
    cannot_walk_assessed: bool = True
    is_low_income: bool = False
    has_unsafe_route: bool = False
    # Other ways to school an officer has judged suitable (routing.modes prices them).
    can_use_public_transport: bool = False
    travel_training_suitable: bool = False
    # An officer's judgement that the family can walk the pupil to a collection point
    # (routing.collection decides whether one is used; the walk limit is policy).
    can_use_collection_point: bool = False

    def __post_init__(self) -> None:
        _check(bool(self.pupil_id), "Pupil pupil_id must not be empty.")
        _check(-180 <= self.lon <= 180, f"Pupil '{self.pupil_id}' lon {self.lon} out of range.")
        _check(-90 <= self.lat <= 90, f"Pupil '{self.pupil_id}' lat {self.lat} out of range.")
        _check(
            -1 <= self.year_group <= 20,
            f"Pupil '{self.pupil_id}' year_group {self.year_group} out of range -1..20.",
        )

    @property
    def is_primary(self) -> bool:
        """Reception to Year 6 (and nursery): the shorter ride-time benchmark applies."""
        return self.year_group <= 6

    @property
    def age_years(self) -> int:
        """Age at the start of the school year (31 August rule), from year group."""
        return self.year_group + 4

    def runs(self) -> tuple[Run, ...]:
        return tuple(r for r, on in ((Run.AM, self.attends_am), (Run.PM, self.attends_pm)) if on)


@dataclass(frozen=True, slots=True)
class VehicleConfig:
    """One seating layout of a vehicle type."""

    seats: int
    wheelchair_places: int


@dataclass(frozen=True, slots=True)
class VehicleType:
    """A kind of vehicle the transport team can hire.

    A vehicle with wheelchair places trades seats for them: each wheelchair place in use
    removes ``seats_per_wheelchair_place`` seats (a 16-seat minibus with 2 places and 2
    seats per place becomes 12 seats + 2 chairs). The driver's seat is not counted. A
    passenger assistant, when the route has one, takes a seat.

    ``day_rate_pence`` covers the vehicle and driver for the school day (AM and PM runs);
    ``num_available`` None means as many as needed.
    """

    name: str
    category: VehicleCategory
    capacity_seats: int
    max_wheelchair_places: int = 0
    seats_per_wheelchair_place: int = 0
    num_available: int | None = None
    day_rate_pence: int = 0
    cost_per_mile_pence: int = 0
    max_shift_s: int = 4 * 3600

    def __post_init__(self) -> None:
        _check(bool(self.name), "VehicleType name must not be empty.")
        _check(
            self.capacity_seats > 0,
            f"VehicleType '{self.name}' capacity_seats must be > 0, got {self.capacity_seats}.",
        )
        _check(
            self.max_wheelchair_places >= 0,
            f"VehicleType '{self.name}' max_wheelchair_places must be >= 0.",
        )
        _check(
            self.seats_per_wheelchair_place >= 0,
            f"VehicleType '{self.name}' seats_per_wheelchair_place must be >= 0.",
        )
        _check(
            self.capacity_seats - self.max_wheelchair_places * self.seats_per_wheelchair_place >= 0,
            f"VehicleType '{self.name}' cannot give up "
            f"{self.max_wheelchair_places * self.seats_per_wheelchair_place} of its "
            f"{self.capacity_seats} seats for wheelchair places.",
        )
        _check(
            self.num_available is None or self.num_available >= 0,
            f"VehicleType '{self.name}' num_available must be >= 0 or blank.",
        )
        _check(self.day_rate_pence >= 0, f"VehicleType '{self.name}' day_rate_pence < 0.")
        _check(self.cost_per_mile_pence >= 0, f"VehicleType '{self.name}' cost_per_mile < 0.")
        _check(self.max_shift_s > 0, f"VehicleType '{self.name}' max_shift_s must be > 0.")

    @property
    def is_wheelchair_accessible(self) -> bool:
        return self.max_wheelchair_places > 0

    @property
    def is_small(self) -> bool:
        return self.capacity_seats <= SMALL_VEHICLE_MAX_SEATS

    def configurations(self) -> tuple[VehicleConfig, ...]:
        """Every seating layout, from no wheelchair places to the most."""
        return tuple(
            VehicleConfig(
                seats=self.capacity_seats - k * self.seats_per_wheelchair_place,
                wheelchair_places=k,
            )
            for k in range(self.max_wheelchair_places + 1)
        )

    def satisfies(self, requirement: VehicleRequirement) -> bool:
        if requirement is VehicleRequirement.WHEELCHAIR_ACCESSIBLE:
            return self.is_wheelchair_accessible
        if requirement is VehicleRequirement.SMALL_VEHICLE:
            return self.is_small
        return True


@dataclass(frozen=True, slots=True)
class Policy:
    """The council's rules and prices that are not a property of one pupil or vehicle."""

    assistant_day_cost_pence: int = 5500
    max_ride_primary_s: int = 45 * SECONDS_PER_MINUTE
    max_ride_secondary_s: int = 75 * SECONDS_PER_MINUTE
    school_days_per_year: int = 190
    peak_travel_factor: float = 1.0
    route_start: RouteStart = RouteStart.FIRST_PICKUP
    depot_lon: float | None = None
    depot_lat: float | None = None
    allow_mixed_school_routes: bool = True
    default_boarding_s: int = 60
    default_wheelchair_boarding_s: int = 180
    # Personal transport budget: pence per mile, 4 legs a day (issue 5 variants).
    personal_budget_pence_per_mile: int = 45
    # Other modes (routing.modes; sources in data/README.md): a year's public transport
    # pass, one course of independent travel training and the share who then travel alone.
    public_transport_pass_pence_per_year: int = 114000  # 2 x £3 capped fare x 190 days
    travel_training_cost_pence: int = 833300  # £1.1m outcome payments / 132 starts
    travel_training_success_rate: float = 0.65  # 86 of 132 still travelling alone
    # Approximate travel model when the scenario has no road network.
    approx_circuity_factor: float = 1.35
    # Ride time as policy (issue 10): the value of one pupil's on-board minute, added to
    # the objective, and a comfort limit relative to the direct trip. 0 switches each off;
    # the defaults are measured (data/README.md).
    ride_minute_value_pence: int = 0
    comfort_ride_factor: float = 2.0
    comfort_ride_extra_s: int = 25 * SECONDS_PER_MINUTE
    # Collection points (routing.collection; why these defaults: data/README.md): the
    # longest walk from home to a point, 0 switching collection points off, and how many
    # pupils of one school a point must gather before anyone is asked to walk to it.
    collection_point_max_walk_m: int = 800
    collection_point_min_pupils: int = 2

    def __post_init__(self) -> None:
        _check(self.assistant_day_cost_pence >= 0, "assistant_day_cost_pence must be >= 0.")
        _check(
            self.collection_point_max_walk_m >= 0,
            f"collection_point_max_walk_m must be >= 0, got {self.collection_point_max_walk_m}.",
        )
        _check(
            self.collection_point_min_pupils >= 1,
            f"collection_point_min_pupils must be >= 1, got {self.collection_point_min_pupils}.",
        )
        _check(self.max_ride_primary_s > 0, "max_ride_primary_s must be > 0.")
        _check(self.max_ride_secondary_s > 0, "max_ride_secondary_s must be > 0.")
        _check(
            0 < self.school_days_per_year <= 366,
            f"school_days_per_year must be 1..366, got {self.school_days_per_year}.",
        )
        _check(
            0.5 <= self.peak_travel_factor <= 5.0,
            f"peak_travel_factor must be 0.5..5.0, got {self.peak_travel_factor}.",
        )
        _check(
            self.route_start is not RouteStart.DEPOT
            or (self.depot_lon is not None and self.depot_lat is not None),
            "route_start 'depot' needs depot_lon and depot_lat.",
        )
        _check(self.approx_circuity_factor >= 1.0, "approx_circuity_factor must be >= 1.")
        _check(
            self.ride_minute_value_pence >= 0,
            f"ride_minute_value_pence must be >= 0, got {self.ride_minute_value_pence}.",
        )
        _check(
            self.comfort_ride_factor == 0 or self.comfort_ride_factor >= 1.0,
            f"comfort_ride_factor must be 0 (off) or >= 1, got {self.comfort_ride_factor}.",
        )
        _check(
            self.comfort_ride_extra_s >= 0,
            f"comfort_ride_extra_s must be >= 0, got {self.comfort_ride_extra_s}.",
        )
        _check(
            self.public_transport_pass_pence_per_year >= 0,
            "public_transport_pass_gbp_per_year must be >= 0, got "
            f"{self.public_transport_pass_pence_per_year / 100}.",
        )
        _check(
            self.travel_training_cost_pence >= 0,
            f"travel_training_cost_gbp must be >= 0, got {self.travel_training_cost_pence / 100}.",
        )
        _check(
            0.0 <= self.travel_training_success_rate <= 1.0,
            f"travel_training_success_rate must be 0..1, got {self.travel_training_success_rate}.",
        )

    def max_ride_s_for(self, pupil: Pupil) -> int:
        """The pupil's own limit if set, else the policy default for their age."""
        if pupil.needs.max_ride_s is not None:
            return pupil.needs.max_ride_s
        return self.max_ride_primary_s if pupil.is_primary else self.max_ride_secondary_s

    def comfort_ride_s(self, direct_s: int) -> int | None:
        """The comfort limit on a journey whose direct trip takes ``direct_s``.

        ``max(direct x comfort_ride_factor, direct + comfort_ride_extra_s)``, each term
        dropped when its setting is 0; None when both are 0 (no comfort limit).
        """
        limits: list[int] = []
        if self.comfort_ride_factor > 0:
            limits.append(math.floor(direct_s * self.comfort_ride_factor))
        if self.comfort_ride_extra_s > 0:
            limits.append(direct_s + self.comfort_ride_extra_s)
        return max(limits) if limits else None

    def ride_limit_s(self, pupil: Pupil, direct_s: int) -> int:
        """The pupil's ride limit on a journey whose direct trip takes ``direct_s``.

        The smaller of the absolute limit (``max_ride_s_for``) and the comfort limit. A
        pupil whose direct trip is already longer than the absolute limit is still carried:
        their limit becomes the comfort limit (the direct trip plus the comfort allowance),
        or the direct trip itself when the comfort limit is off.
        """
        absolute = self.max_ride_s_for(pupil)
        comfort = self.comfort_ride_s(direct_s)
        if direct_s > absolute:
            return direct_s if comfort is None else comfort
        return absolute if comfort is None else min(absolute, comfort)


@dataclass(frozen=True, slots=True)
class IncompatiblePair:
    """Two pupils who must never share a vehicle (the reason stays with the officer)."""

    pupil_a: str
    pupil_b: str


@dataclass(frozen=True, slots=True)
class CurrentRoute:
    """One route of today's arrangement: the same vehicle runs it AM and PM.

    ``day_price_pence`` None means the contract price is not known and is estimated
    from the vehicle type's rates.
    """

    route_id: str
    vehicle_type: str
    has_assistant: bool
    pupil_ids: tuple[str, ...]
    day_price_pence: int | None = None


@dataclass(frozen=True, slots=True)
class CollectionPoint:
    """A real public place where a vehicle may pick up (AM) and set down (PM) pupils who
    walk there from home, accompanied as their family judges (collection_points.csv)."""

    point_id: str
    name: str
    lon: float
    lat: float

    def __post_init__(self) -> None:
        _check(bool(self.point_id), "CollectionPoint point_id must not be empty.")
        _check(
            -180 <= self.lon <= 180,
            f"Collection point '{self.point_id}' lon {self.lon} out of range.",
        )
        _check(
            -90 <= self.lat <= 90,
            f"Collection point '{self.point_id}' lat {self.lat} out of range.",
        )


@dataclass(frozen=True, slots=True)
class CollectionWalk:
    """A pupil picked up (AM) and set down (PM) at a collection point instead of at home.

    ``walk_m`` is the walk from home to the point, metres, on the footpath network or,
    where the scenario has none, estimated (``is_estimated``: straight line x a factor).
    Ride time counts from the point.
    """

    pupil_id: str
    point_id: str
    walk_m: int
    is_estimated: bool = True

    def __post_init__(self) -> None:
        _check(
            self.walk_m >= 0,
            f"Pupil '{self.pupil_id}' walk to collection point '{self.point_id}' "
            f"must be >= 0 m, got {self.walk_m}.",
        )


@dataclass(frozen=True, slots=True)
class NetworkSource:
    """Where a scenario's road and footpath graphs live (paths relative to its folder)."""

    drive_graph: str = ""
    walk_graph: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything one planning exercise needs, cross-checked once at construction."""

    name: str
    schools: tuple[School, ...]
    pupils: tuple[Pupil, ...]
    vehicle_types: tuple[VehicleType, ...]
    policy: Policy = field(default_factory=Policy)
    incompatible_pairs: tuple[IncompatiblePair, ...] = ()
    current_routes: tuple[CurrentRoute, ...] = ()
    network: NetworkSource = field(default_factory=NetworkSource)
    collection_points: tuple[CollectionPoint, ...] = ()
    # Who walks to which point, decided before solving (routing.collection); empty: every
    # pupil is picked up at home. The problem builder reads it; a plan states its own.
    walks: tuple[CollectionWalk, ...] = ()

    def __post_init__(self) -> None:
        _check(len(self.vehicle_types) > 0, f"Scenario '{self.name}' has no vehicle types.")
        school_ids = [s.school_id for s in self.schools]
        _check(len(set(school_ids)) == len(school_ids), "Duplicate school_id in scenario.")
        pupil_ids = [p.pupil_id for p in self.pupils]
        _check(len(set(pupil_ids)) == len(pupil_ids), "Duplicate pupil_id in scenario.")
        names = [v.name for v in self.vehicle_types]
        _check(len(set(names)) == len(names), "Duplicate vehicle type name in scenario.")
        known_schools = set(school_ids)
        for pupil in self.pupils:
            _check(
                pupil.school_id in known_schools,
                f"Pupil '{pupil.pupil_id}' references unknown school '{pupil.school_id}'.",
            )
        known_pupils = set(pupil_ids)
        for pair in self.incompatible_pairs:
            for pid in (pair.pupil_a, pair.pupil_b):
                _check(pid in known_pupils, f"Incompatible pair references unknown pupil '{pid}'.")
            _check(pair.pupil_a != pair.pupil_b, f"Pupil '{pair.pupil_a}' paired with itself.")
        known_types = set(names)
        for route in self.current_routes:
            _check(
                route.vehicle_type in known_types,
                f"Current route '{route.route_id}' references unknown vehicle type "
                f"'{route.vehicle_type}'.",
            )
            for pid in route.pupil_ids:
                _check(
                    pid in known_pupils,
                    f"Current route '{route.route_id}' references unknown pupil '{pid}'.",
                )
        self._check_collection(known_pupils)

    def _check_collection(self, known_pupils: set[str]) -> None:
        point_ids = [c.point_id for c in self.collection_points]
        _check(len(set(point_ids)) == len(point_ids), "Duplicate collection point_id in scenario.")
        known_points = set(point_ids)
        walkers: set[str] = set()
        for walk in self.walks:
            _check(
                walk.pupil_id in known_pupils,
                f"A collection walk references unknown pupil '{walk.pupil_id}'.",
            )
            _check(
                walk.point_id in known_points,
                f"Pupil '{walk.pupil_id}' walks to unknown collection point '{walk.point_id}'.",
            )
            _check(
                walk.pupil_id not in walkers,
                f"Pupil '{walk.pupil_id}' walks to more than one collection point.",
            )
            walkers.add(walk.pupil_id)

    def school(self, school_id: str) -> School:
        for s in self.schools:
            if s.school_id == school_id:
                return s
        msg = f"Unknown school '{school_id}'."
        raise InvalidScenarioError(msg)

    def pupil(self, pupil_id: str) -> Pupil:
        for p in self.pupils:
            if p.pupil_id == pupil_id:
                return p
        msg = f"Unknown pupil '{pupil_id}'."
        raise InvalidScenarioError(msg)

    def vehicle_type(self, name: str) -> VehicleType:
        for v in self.vehicle_types:
            if v.name == name:
                return v
        msg = f"Unknown vehicle type '{name}'."
        raise InvalidScenarioError(msg)

    def schools_by_id(self) -> dict[str, School]:
        return {s.school_id: s for s in self.schools}

    def pupils_by_id(self) -> dict[str, Pupil]:
        return {p.pupil_id: p for p in self.pupils}

    def collection_points_by_id(self) -> dict[str, CollectionPoint]:
        return {c.point_id: c for c in self.collection_points}

    def walks_by_pupil(self) -> dict[str, CollectionWalk]:
        return {w.pupil_id: w for w in self.walks}


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit of a route: a pickup or drop-off of one pupil (or of siblings together).

    ``location_id`` is the row key in the TravelMatrix (``pupil:P0001``,
    ``school:102362``, ``depot``). ``arrival_s`` is when the vehicle gets there,
    ``service_start_s`` when boarding/alighting starts (after any wait for a window),
    ``departure_s`` when it leaves.
    """

    kind: StopKind
    pupil_ids: tuple[str, ...]
    location_id: str
    lon: float
    lat: float
    arrival_s: int
    service_start_s: int
    departure_s: int
    school_id: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """One vehicle's run: its layout, assistant, stops in order, and what it costs.

    ``seats`` and ``wheelchair_places`` are the layout's places left for pupils (an
    assistant, when ``has_assistant``, has already taken a seat). ``cost_pence`` is this
    run's share of the day: half the vehicle's day rate, the mileage, and half the
    assistant's day cost (a vehicle and assistant work both runs).
    """

    route_id: str
    run: Run
    vehicle_type: str
    seats: int
    wheelchair_places: int
    has_assistant: bool
    stops: tuple[Stop, ...]
    distance_m: int
    duration_s: int
    cost_pence: int

    def pupil_ids(self) -> tuple[str, ...]:
        return tuple(
            pid for stop in self.stops if stop.kind is StopKind.PICKUP for pid in stop.pupil_ids
        )


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A pupil the plan does not carry on a run, and why (in words an officer can act on)."""

    pupil_id: str
    run: Run
    reason: str
    code: UnassignedCode = UnassignedCode.UNPLANNED


@dataclass(frozen=True, slots=True)
class PupilFlag:
    """A pupil the plan carries but an officer must look at, and why (in plain words)."""

    pupil_id: str
    run: Run
    message: str
    code: str = "long_direct_ride"  # the direct trip alone is over the policy limit


@dataclass(frozen=True, slots=True)
class Plan:
    """The routes of a scenario for one or both runs, and the pupils left unassigned.

    ``travel_model`` says which travel-time model produced the times, in words a user
    will notice (an approximate model is labelled as such).
    """

    scenario_name: str
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    travel_model: str
    solve_seconds: float = 0.0
    objective: int = 0
    notes: tuple[str, ...] = ()
    flags: tuple[PupilFlag, ...] = ()  # carried pupils an officer must look at
    walks: tuple[CollectionWalk, ...] = ()  # pupils picked up at a collection point

    def routes_for(self, run: Run) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.run is run)

    def iter_stops(self) -> Iterator[tuple[Route, Stop]]:
        for route in self.routes:
            for stop in route.stops:
                yield route, stop

    @property
    def cost_pence(self) -> int:
        """What the plan's routes cost a day: the sum of their ``cost_pence`` (the estimated
        journeys of unassigned pupils are not in it: see ``costing.plan_cost``)."""
        return sum(route.cost_pence for route in self.routes)

    @property
    def is_complete(self) -> bool:
        """True when no pupil is left unassigned (feasibility is the checker's question)."""
        return not self.unassigned


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How hard and how to search (PyVRP's ``solve(data, stop, seed, params)`` shape).

    ``time_limit_s`` is the wall-clock budget of one run (AM or PM) over all its parts;
    ``num_workers`` processes solve the parts (default: both cores here). ``search``
    chooses the pupils' search: "auto" (the default: a run's parts by OR-Tools' guided
    local search from the warm start, then their merged plan seeds the ruin-and-recreate
    search over the whole run, ``num_workers`` processes sharing the best plan; a single
    problem passed to ``solve`` goes to OR-Tools), "alns" (the same, and a single problem
    passed to ``solve`` goes to the ruin-and-recreate search) or "ortools" (the parts only,
    as before 2026-12-03); distance problems (the benchmarks) always use the
    ruin-and-recreate search or PyVRP. See ``routing.decompose.whole_run_searchable`` for
    the runs the whole-run search leaves to the parts (a county-sized run).
    ``executor`` says where parallel pieces run (``local`` process pool or ``ray``, see
    :mod:`routing.executor`); ``solution_limit`` stops each part's OR-Tools search after
    that many solutions (with a generous time limit, a reproducible plan; the whole-run
    search, which stops only on the clock, is then left out).
    """

    time_limit_s: float = 60.0
    seed: int = 0
    first_solution: str = "auto"
    num_workers: int = 2
    max_part_requests: int = 120
    search: str = "auto"
    executor: str = "local"
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        _check(self.time_limit_s > 0, f"time_limit_s must be > 0, got {self.time_limit_s}.")
        _check(self.num_workers >= 1, f"num_workers must be >= 1, got {self.num_workers}.")
        _check(self.max_part_requests >= 1, "max_part_requests must be >= 1.")
        _check(
            self.search in ("auto", "ortools", "alns"),
            f"search must be 'auto', 'ortools' or 'alns', got '{self.search}'.",
        )
        _check(
            self.executor in ("local", "ray"),
            f"executor must be 'local' or 'ray', got '{self.executor}'.",
        )
        _check(
            self.solution_limit is None or self.solution_limit >= 1,
            f"solution_limit must be >= 1, got {self.solution_limit}.",
        )


@dataclass(frozen=True, slots=True)
class SolveProgress:
    """A progress report from a solve in flight (for progress bars and job status)."""

    run: Run
    parts_done: int
    parts_total: int
    elapsed_s: float
    best_cost_pence: int | None = None
    message: str = ""
    rides_over_45_min: int | None = None
    """Rides over 45 minutes in the plan behind ``best_cost_pence`` (the parts finished
    so far), when known: the children's side of the best cost."""
