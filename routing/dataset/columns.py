"""The scenario format's file names, columns, policy keys and value ranges (data/README.md)."""

from __future__ import annotations

SCHOOLS_FILE = "schools.csv"
PUPILS_FILE = "pupils.csv"
INCOMPATIBLE_FILE = "incompatible.csv"
VEHICLE_TYPES_FILE = "vehicle_types.csv"
POLICY_FILE = "policy.toml"
CURRENT_ROUTES_FILE = "current_routes.csv"
POSTCODES_FILE = "postcodes.csv"
COLLECTION_POINTS_FILE = "collection_points.csv"

REQUIRED_FILES = (SCHOOLS_FILE, PUPILS_FILE, VEHICLE_TYPES_FILE, POLICY_FILE)
OPTIONAL_FILES = (INCOMPATIBLE_FILE, CURRENT_ROUTES_FILE, POSTCODES_FILE, COLLECTION_POINTS_FILE)
SCENARIO_FILES = REQUIRED_FILES + OPTIONAL_FILES

# Column name -> required? Order is the order write_scenario uses.
SCHOOL_COLUMNS: dict[str, bool] = {
    "school_id": True,
    "name": True,
    "kind": True,
    "lon": False,  # lon/lat or a postcode found in postcodes.csv
    "lat": False,
    "postcode": False,
    "local_authority": False,
    "am_start_hhmm": True,
    "pm_end_hhmm": True,
    "arrive_window_open_min": False,
    "arrive_window_close_min": False,
    "pm_max_wait_min": False,
    "handover_s": False,
}
PUPIL_COLUMNS: dict[str, bool] = {
    "pupil_id": True,
    "school_id": True,
    "first_name": False,
    "last_name": False,
    "postcode": False,  # postcode and/or lon+lat
    "lon": False,
    "lat": False,
    "date_of_birth": False,  # date_of_birth and/or year_group
    "year_group": False,
    "wheelchair": True,
    "needs_assistant": True,
    "travel_alone": True,
    "vehicle_requirement": False,
    "boarding_s": False,
    "max_ride_min": False,
    "sibling_group": False,
    "attends_am": False,
    "attends_pm": False,
    "cannot_walk_assessed": False,
    "is_low_income": False,
    "has_unsafe_route": False,
    "can_use_public_transport": False,
    "travel_training_suitable": False,
    "can_use_collection_point": False,
}
INCOMPATIBLE_COLUMNS: dict[str, bool] = {"pupil_a": True, "pupil_b": True}
VEHICLE_TYPE_COLUMNS: dict[str, bool] = {
    "name": True,
    "category": True,
    "capacity_seats": True,
    "max_wheelchair_places": False,
    "seats_per_wheelchair_place": False,
    "num_available": False,
    "day_rate_gbp": True,
    "cost_per_mile_gbp": True,
    "max_shift_min": False,
}
CURRENT_ROUTE_COLUMNS: dict[str, bool] = {
    "route_id": True,
    "vehicle_type": True,
    "has_assistant": True,
    "day_price_gbp": False,
    "pupil_ids": True,
}
POSTCODE_COLUMNS: dict[str, bool] = {"postcode": True, "lon": True, "lat": True}
COLLECTION_POINT_COLUMNS: dict[str, bool] = {
    "point_id": True,
    "name": True,
    "lon": True,
    "lat": True,
}

# policy.toml key -> (Policy field, kind). Kinds: money (gbp -> pence), minutes (-> s),
# int, float, bool, route_start.
POLICY_KEYS: dict[str, tuple[str, str]] = {
    "assistant_day_cost_gbp": ("assistant_day_cost_pence", "money"),
    "max_ride_primary_min": ("max_ride_primary_s", "minutes"),
    "max_ride_secondary_min": ("max_ride_secondary_s", "minutes"),
    "school_days_per_year": ("school_days_per_year", "int"),
    "peak_travel_factor": ("peak_travel_factor", "float"),
    "route_start": ("route_start", "route_start"),
    "depot_lon": ("depot_lon", "float"),
    "depot_lat": ("depot_lat", "float"),
    "allow_mixed_school_routes": ("allow_mixed_school_routes", "bool"),
    "default_boarding_s": ("default_boarding_s", "int"),
    "default_wheelchair_boarding_s": ("default_wheelchair_boarding_s", "int"),
    "personal_budget_gbp_per_mile": ("personal_budget_pence_per_mile", "money"),
    "approx_circuity_factor": ("approx_circuity_factor", "float"),
    "ride_minute_value_gbp": ("ride_minute_value_pence", "money"),
    "comfort_ride_factor": ("comfort_ride_factor", "float"),
    "comfort_ride_extra_min": ("comfort_ride_extra_s", "minutes_or_zero"),
    "public_transport_pass_gbp_per_year": ("public_transport_pass_pence_per_year", "money"),
    "travel_training_cost_gbp": ("travel_training_cost_pence", "money"),
    "travel_training_success_rate": ("travel_training_success_rate", "float"),
    "collection_point_max_walk_m": ("collection_point_max_walk_m", "int"),
    "collection_point_min_pupils": ("collection_point_min_pupils", "int"),
}
# Read only to turn a date_of_birth into a year group when year_group is blank.
ACADEMIC_YEAR_KEY = "academic_year_start_year"
NETWORK_KEYS = ("drive_graph", "walk_graph", "description")

SEPARATOR_PUPIL_IDS = ";"
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
YEAR_GROUP_RANGE = (-1, 20)
# Great Britain, generously: a point outside is a typo or swapped lon/lat.
GB_LON_RANGE = (-8.7, 1.9)
GB_LAT_RANGE = (49.8, 60.9)

# Plausible ranges, inclusive, in the file's own units (documented in data/README.md beside
# each column and key): a number outside is a row-level issue, so no absurd but well-formed
# value (1e18 minutes, a 40-digit seat count) reaches the solver. Other keys may join.
CELL_RANGES: dict[str, tuple[float, float]] = {
    "capacity_seats": (1, 80),
    "max_wheelchair_places": (0, 80),
    "seats_per_wheelchair_place": (0, 20),
    "num_available": (0, 10_000),
    "day_rate_gbp": (0, 5_000),
    "cost_per_mile_gbp": (0, 50),
    "max_shift_min": (30, 720),
    "arrive_window_open_min": (0, 180),
    "arrive_window_close_min": (0, 180),
    "pm_max_wait_min": (0, 180),
    "handover_s": (0, 1_800),
    "boarding_s": (0, 1_800),
    "max_ride_min": (5, 240),
    "day_price_gbp": (0, 5_000),
}
POLICY_RANGES: dict[str, tuple[float, float]] = {
    "assistant_day_cost_gbp": (0, 5_000),
    "max_ride_primary_min": (5, 240),
    "max_ride_secondary_min": (5, 240),
    "school_days_per_year": (1, 366),
    "peak_travel_factor": (0.5, 5.0),
    "default_boarding_s": (0, 1_800),
    "default_wheelchair_boarding_s": (0, 1_800),
    "personal_budget_gbp_per_mile": (0, 50),
    "approx_circuity_factor": (1.0, 5.0),
    "ride_minute_value_gbp": (0, 5),
    "comfort_ride_factor": (0.0, 3.0),
    "comfort_ride_extra_min": (0, 120),
    "public_transport_pass_gbp_per_year": (0, 10_000),
    "travel_training_cost_gbp": (0, 50_000),
    "travel_training_success_rate": (0.0, 1.0),
    # Up to the statutory walking distance for a child under 8 (2 miles, 3,219 m).
    "collection_point_max_walk_m": (0, 3_219),
    "collection_point_min_pupils": (1, 80),
}


def format_range(low: float, high: float) -> str:
    """'1..80', '0..5,000', '0.5..5.0': the range as the error messages and README give it."""
    return f"{low:,}..{high:,}"
