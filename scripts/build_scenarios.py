"""Build the shipped scenarios data/havering/, data/rutland/ and data/county/ from ../shared/data/.

Run ``python scripts/build_scenarios.py`` (or ``make data``). The output is the same on
every run (fixed seeds, sorted inputs); the script prints the calibration figures of each
current arrangement. It is thin over ``routing``: it builds ``routing.model`` objects and
writes them with ``routing.dataset.write_scenario``, then reloads them with
``load_scenario`` to prove they validate.

What is real and what is assumed
--------------------------------
Real (open data, see data/README.md for sources and licences): school names, URNs and
locations (GLA/GIAS extracts; OSM for Rutland), residential postcode points (OS
Code-Point Open 2025, small-user postcodes only), the Havering boundary, the Rutland road
graphs (OSM, ODbL).

Synthetic or assumed (no open source gives them):

- Pupils: synthetic names from a small built-in list, homes at real residential
  postcodes (Havering: ``in_havering == 1`` and ``ons_usertype_2022 == '0'``) moved by a
  random jitter of at most 40 m (a postcode covers about 15 addresses). Special schools,
  AP and colleges draw pupils from the whole borough; mainstream and resourced schools
  mostly from nearby (weight exp(-d / 2.5 km)); out-of-borough placements lean towards
  the west of Havering (weight exp(-d / 8 km)).
- Ages 4-24 on 31 August 2025 (academic year 2025/26), uniform over each school's range.
- Needs, by kind of school (probabilities in ``NEEDS_BY_KIND``): wheelchair users (who
  also need a wheelchair-accessible vehicle), passenger assistant (more likely for
  wheelchair users), travel alone, small vehicle only; some explicit boarding times.
- Siblings: a share of pupils get a brother or sister at the same address (same jittered
  point, same surname), mostly at the same school.
- Incompatible pairs: pupils of one school, near each other, neither travelling alone nor
  siblings.
- Ride limits: blank (policy default: 45 min primary, 75 min secondary) unless set. A few
  pupils with short direct trips get 30 min. Where a generous direct-trip estimate
  (great-circle x 1.35 at ``SLOW_KPH`` plus 5 min) times 1.4 exceeds the default (mostly
  out-of-borough placements), the pupil's limit is raised to that, rounded up to 5 min
  (an officer agrees longer limits for distant placements). Two Havering pupils at
  distant out-of-borough schools are deliberately given a 15-minute limit that no direct
  trip can meet, so the planner's pre-check has something to report (named in the
  printed summary and in data/README.md).
- Bell times: assumed (table ``*_SCHOOLS``); special schools about 09:00-15:00 with some
  variety, mainstream 08:45-15:15, colleges later.
- The county (``data/county``, 5,000 pupils over Kent's 12 districts): no open list of
  Kent's schools is in ../shared/data, so its 72 schools are synthetic, six a district
  (two special, one AP, one resourced primary, two mainstream secondaries), each at a
  real Kent postcode drawn by the seeded generator (so they sit where postcodes are
  dense: in towns). Homes are any Kent postcode point (the Kent file has no user-type
  flag, so a few are business postcodes). Ride limits are the policy's, never raised
  for a long direct trip: the planner must carry those pupils on their own longer limit
  and flag them (issue 10).
- Vehicle types and prices: in line with published council contract rates (taxi about
  £90-110 a day, passenger assistant £55 a day); see ``VEHICLE_TYPES``.
- Current arrangement: built the way a planning team without an optimiser works. Per
  school (never mixed-school): pupils who must travel alone or have a limit under 30
  minutes get a solo vehicle, and so does a share of the others (historic single-occupancy taxis, in
  ``SOLO_SHARE_BY_KIND``); the rest are grouped by postcode district (outward code) in
  small groups (up to ``MAX_GROUP_BY_KIND``), keeping siblings together and incompatible
  pupils apart, with a passenger assistant when any pupil needs one, in the cheapest
  vehicle type that fits. Pickups run from the farthest pupil, nearest next, to school.
- Contract day price of a current route: vehicle day rate + cost per mile x (AM + PM
  miles) + assistant day cost, times a contract-price noise (lognormal, sigma 0.08,
  median 1), rounded to whole pounds. Miles use a simple approximate distance,
  great-circle x 1.35, the same circuity the planner's approximate travel model uses;
  a few routes have no known price (blank). Nothing is tuned to flatter the optimiser:
  prices use the same rates the optimiser is given, and the only calibration knobs are
  the solo share and group sizes of the current arrangement.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import gzip
import itertools
import json
import math
import random
import shutil
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from build_collection_points import with_collection_points  # noqa: E402

from routing.dataset import load_scenario, write_scenario  # noqa: E402
from routing.matrix import great_circle_m  # noqa: E402
from routing.model import (  # noqa: E402
    METRES_PER_MILE,
    CurrentRoute,
    IncompatiblePair,
    Needs,
    NetworkSource,
    Policy,
    Pupil,
    Scenario,
    School,
    SchoolKind,
    VehicleCategory,
    VehicleRequirement,
    VehicleType,
)

SEED = 20260128
ACADEMIC_YEAR_START = 2025  # 2025/26: ages are on 31 August 2025
CIRCUITY = 1.35  # road distance ~ great-circle x 1.35 (pricing and estimates)
JITTER_M = 40.0
CONTRACT_NOISE_SIGMA = 0.08
UNKNOWN_PRICE_SHARE = 0.02
NEIGHBOUR_M = 5000.0  # a planner adds a lone pupil to a group passing within this distance

# --------------------------------------------------------------------------- schools

# (school_id, kind, am_start, pm_end, youngest year group, oldest year group, weight)
# Year groups: 0 reception (age 4) ... 13 (age 17), 14-20 post-19 provision (ages 18-24).
HAVERING_SCHOOLS: list[tuple[str, SchoolKind, str, str, int, int, float]] = [
    # Havering special schools and AP
    ("102362", SchoolKind.SPECIAL, "09:00", "15:00", 0, 15, 150),  # Corbets Tey
    ("142050", SchoolKind.SPECIAL, "08:50", "15:00", 0, 11, 90),  # Dycorts
    ("142722", SchoolKind.SPECIAL, "09:05", "15:15", 0, 15, 95),  # Lime Academy Ravensbourne
    ("142334", SchoolKind.SPECIAL, "09:30", "14:45", 7, 11, 15),  # YEEP
    ("131193", SchoolKind.ALTERNATIVE_PROVISION, "09:15", "14:45", 7, 11, 35),  # AP site
    # resourced provision in mainstream primaries (GIAS 2019)
    ("146136", SchoolKind.RESOURCED, "08:50", "15:15", 0, 6, 20),  # Hacton
    ("102291", SchoolKind.RESOURCED, "08:45", "15:15", 0, 6, 18),  # Clockhouse
    ("102322", SchoolKind.RESOURCED, "08:55", "15:15", 0, 6, 18),  # Mead
    ("131590", SchoolKind.RESOURCED, "08:45", "15:10", 0, 6, 22),  # R J Mitchell
    # mainstream secondaries (pupils with EHCPs)
    ("102341", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 8),  # Sanders
    ("102344", SchoolKind.MAINSTREAM, "08:40", "15:10", 7, 13, 8),  # Gaynes
    ("136090", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 8),  # Drapers'
    ("136576", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 8),  # Brittons
    ("136600", SchoolKind.MAINSTREAM, "08:50", "15:20", 7, 13, 8),  # Coopers' Coborn
    ("136663", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 8),  # Abbs Cross
    ("137040", SchoolKind.MAINSTREAM, "08:40", "15:10", 7, 13, 8),  # Campion
    ("137197", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 8),  # Hall Mead
    ("137396", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 11, 8),  # Redden Court
    ("139307", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 11, 8),  # Bower Park
    # colleges (post-16 and post-19)
    ("130444", SchoolKind.MAINSTREAM, "09:30", "15:30", 12, 20, 35),  # Havering College
    ("130445", SchoolKind.MAINSTREAM, "09:00", "15:30", 12, 13, 15),  # Sixth Form College
    # mainstream primaries
    ("102269", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 8),  # Harold Wood
    ("102272", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 7),  # Elm Park
    ("102276", SchoolKind.MAINSTREAM, "08:50", "15:15", 0, 6, 7),  # Hylands
    ("102314", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 7),  # Brady
    ("102316", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 7),  # Scotts
    ("102324", SchoolKind.MAINSTREAM, "08:50", "15:20", 0, 6, 7),  # Rainham Village
    # out-of-borough placements: Barking & Dagenham, Redbridge
    ("101842", SchoolKind.SPECIAL, "08:55", "15:05", 0, 13, 25),  # Trinity (B&D)
    ("142134", SchoolKind.SPECIAL, "09:00", "15:00", 0, 6, 12),  # Riverside Bridge (B&D)
    ("134388", SchoolKind.SPECIAL, "09:15", "15:00", 7, 11, 8),  # Hopewell (B&D)
    ("102878", SchoolKind.SPECIAL, "08:50", "15:10", 7, 13, 10),  # Little Heath (Redbridge)
    ("102881", SchoolKind.SPECIAL, "09:00", "15:00", 0, 6, 8),  # Hatton (Redbridge)
    ("130899", SchoolKind.SPECIAL, "09:00", "15:00", 0, 13, 8),  # Newbridge (Redbridge)
    ("102879", SchoolKind.SPECIAL, "09:10", "15:00", 1, 11, 6),  # New Rush Hall (Redbridge)
    ("141006", SchoolKind.ALTERNATIVE_PROVISION, "09:30", "14:30", 10, 11, 3),  # Beal Hub
]
HAVERING_AP_NAME = {"131193": "Manor Green College (Havering AP site)"}

# Rutland: OSM school features; ref:edubase as the id where tagged, else OSM-<osm_id>.
RUTLAND_SCHOOLS: list[tuple[str, SchoolKind, str, str, int, int, float]] = [
    ("131018", SchoolKind.SPECIAL, "09:00", "15:00", 1, 13, 45),  # The Shires
    ("OSM-101238684", SchoolKind.MAINSTREAM, "08:40", "15:10", 7, 11, 22),  # Catmose College
    ("OSM-181152400", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 20),  # Uppingham CC
    ("OSM-403883075", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 11, 8),  # Casterton
    ("138113", SchoolKind.MAINSTREAM, "08:50", "15:15", 0, 6, 8),  # Catmose Primary
    ("142544", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 5),  # Edith Weston
    ("137358", SchoolKind.MAINSTREAM, "08:50", "15:15", 0, 6, 7),  # Brooke Hill
    ("139611", SchoolKind.MAINSTREAM, "08:50", "15:20", 0, 6, 4),  # English Martyrs'
    ("141452", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 3),  # St Nicholas
    ("OSM-181152390", SchoolKind.MAINSTREAM, "08:45", "15:15", 0, 6, 5),  # Leighfield
]

# The county: Kent County Council's 12 districts (ONS codes of the Code-Point file).
KENT_DISTRICTS = {
    "E07000105": "Ashford",
    "E07000106": "Canterbury",
    "E07000107": "Dartford",
    "E07000108": "Dover",
    "E07000109": "Gravesham",
    "E07000110": "Maidstone",
    "E07000111": "Sevenoaks",
    "E07000112": "Folkestone and Hythe",
    "E07000113": "Swale",
    "E07000114": "Thanet",
    "E07000115": "Tonbridge and Malling",
    "E07000116": "Tunbridge Wells",
}
# Six synthetic schools a district: (suffix, kind, am, pm, youngest, oldest, weight).
COUNTY_SCHOOL_KINDS: list[tuple[str, SchoolKind, str, str, int, int, float]] = [
    ("1", SchoolKind.SPECIAL, "09:00", "15:00", 0, 15, 150),
    ("2", SchoolKind.SPECIAL, "08:50", "15:05", 7, 15, 90),
    ("3", SchoolKind.ALTERNATIVE_PROVISION, "09:15", "14:45", 7, 11, 30),
    ("4", SchoolKind.RESOURCED, "08:50", "15:15", 0, 6, 20),
    ("5", SchoolKind.MAINSTREAM, "08:45", "15:15", 7, 13, 10),
    ("6", SchoolKind.MAINSTREAM, "08:40", "15:10", 7, 13, 10),
]
COUNTY_KIND_WORDS = {
    SchoolKind.SPECIAL: "special school",
    SchoolKind.ALTERNATIVE_PROVISION: "alternative provision",
    SchoolKind.RESOURCED: "primary with resourced provision",
    SchoolKind.MAINSTREAM: "secondary",
}
COUNTY_SCALE_M = {  # homes around a school: weight exp(-d / scale)
    SchoolKind.SPECIAL: 12000.0,
    SchoolKind.ALTERNATIVE_PROVISION: 8000.0,
    SchoolKind.RESOURCED: 3000.0,
    SchoolKind.MAINSTREAM: 3000.0,
}
COUNTY_PUPILS = 5000

# --------------------------------------------------------------------------- needs and prices


@dataclass(frozen=True)
class NeedsMix:
    wheelchair: float
    assistant: float  # for pupils not in a wheelchair
    assistant_if_wheelchair: float
    travel_alone: float
    small_vehicle: float


NEEDS_BY_KIND = {
    SchoolKind.SPECIAL: NeedsMix(0.15, 0.30, 0.75, 0.05, 0.05),
    SchoolKind.ALTERNATIVE_PROVISION: NeedsMix(0.0, 0.20, 0.0, 0.22, 0.05),
    SchoolKind.RESOURCED: NeedsMix(0.04, 0.15, 0.6, 0.02, 0.04),
    SchoolKind.MAINSTREAM: NeedsMix(0.07, 0.08, 0.5, 0.02, 0.02),
}
SIBLING_SHARE = 0.035  # chance a generated pupil gets a sibling at the same address
SHORT_LIMIT_SHARE = 0.04  # 30-minute limits, only where the direct trip is short
SLOW_KPH = {"havering": 20.0, "rutland": 35.0, "county": 30.0}  # generous direct-trip estimates
PLANNER_KPH = {"havering": 24.0, "rutland": 40.0, "county": 34.0}  # planner's feel for rides

# Council-like contract prices (day rate covers the AM and PM runs).
VEHICLE_TYPES = (
    VehicleType("taxi", VehicleCategory.TAXI, 4, 0, 0, None, 7800, 190, 180 * 60),
    VehicleType("mpv", VehicleCategory.MPV, 6, 0, 0, None, 8500, 200, 180 * 60),
    VehicleType("wav", VehicleCategory.WAV, 5, 1, 2, None, 9800, 220, 180 * 60),
    VehicleType("minibus", VehicleCategory.MINIBUS, 16, 2, 2, None, 15000, 220, 180 * 60),
)
SOLO_SHARE_BY_KIND = {
    SchoolKind.SPECIAL: 0.02,
    SchoolKind.ALTERNATIVE_PROVISION: 0.25,
    SchoolKind.RESOURCED: 0.10,
    SchoolKind.MAINSTREAM: 0.10,
}
MAX_GROUP_BY_KIND = {
    SchoolKind.SPECIAL: 12,
    SchoolKind.ALTERNATIVE_PROVISION: 3,
    SchoolKind.RESOURCED: 6,
    SchoolKind.MAINSTREAM: 6,
}

FIRST_NAMES = [
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Mia",
    "Jack",
    "Ivy",
    "Leo",
    "Freya",
    "Arthur",
    "Lily",
    "Muhammad",
    "Florence",
    "Oscar",
    "Sophia",
    "Charlie",
    "Grace",
    "Jacob",
    "Emily",
    "Theo",
    "Ella",
    "Alfie",
    "Poppy",
    "Joshua",
    "Evie",
    "Ethan",
    "Aisha",
    "Adam",
    "Zara",
    "Kai",
    "Maya",
    "Reuben",
    "Chloe",
    "Tomasz",
    "Zofia",
    "Ayaan",
    "Hannah",
    "Kofi",
    "Ama",
    "Daniel",
    "Ruby",
    "Samuel",
    "Phoebe",
    "Ibrahim",
    "Layla",
    "Finley",
    "Willow",
    "Max",
    "Esme",
    "Logan",
    "Daisy",
    "Riley",
    "Erin",
    "Musa",
    "Imani",
    "Ravi",
    "Priya",
    "Lewis",
    "Nancy",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Ahmed",
    "Okafor",
    "Mensah",
    "Nowak",
    "Kowalski",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Morris",
    "King",
    "Baker",
    "Harris",
    "Lewis",
    "Scott",
    "Begum",
    "Ali",
    "Hussain",
    "Singh",
    "Kaur",
    "Murphy",
    "Kelly",
    "Adeyemi",
    "Osei",
    "Campbell",
    "Bennett",
    "Shah",
    "Gray",
    "Price",
    "Fisher",
    "Mills",
    "Rose",
    "Hunt",
    "Barnes",
    "Cole",
]


# --------------------------------------------------------------------------- geometry


def road_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The generator's approximate road distance: great-circle x 1.35."""
    return great_circle_m(a[0], a[1], b[0], b[1]) * CIRCUITY


def jitter(rng: random.Random, lon: float, lat: float) -> tuple[float, float]:
    r = JITTER_M * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    dlat = r * math.sin(theta) / 111_320.0
    dlon = r * math.cos(theta) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Postcode:
    postcode: str
    lon: float
    lat: float


def read_postcodes(path: Path, *, havering_only: bool) -> list[Postcode]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = [
        Postcode(r["postcode"], float(r["lon"]), float(r["lat"]))
        for r in rows
        if r["ons_usertype_2022"] == "0" and (not havering_only or r["in_havering"] == "1")
    ]
    return sorted(chosen, key=lambda p: p.postcode)


def read_kent_postcodes(path: Path) -> dict[str, list[Postcode]]:
    """District code -> its postcodes (every Kent point: the file has no user type)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[str, list[Postcode]] = defaultdict(list)
    for r in rows:
        if r["lad_code"] in KENT_DISTRICTS and r["lon"] and r["lat"]:
            out[r["lad_code"]].append(Postcode(r["postcode"], float(r["lon"]), float(r["lat"])))
    return {code: sorted(pcs, key=lambda p: p.postcode) for code, pcs in sorted(out.items())}


def county_school_table(
    rng: random.Random, districts: dict[str, list[Postcode]]
) -> tuple[list[tuple[str, SchoolKind, str, str, int, int, float]], dict[str, dict[str, str]]]:
    """Six synthetic schools a district, each at a real postcode drawn in the district."""
    table: list[tuple[str, SchoolKind, str, str, int, int, float]] = []
    rows: dict[str, dict[str, str]] = {}
    for code, postcodes in districts.items():
        name = KENT_DISTRICTS[code]
        scale = len(postcodes) / (sum(len(p) for p in districts.values()) / len(districts))
        for suffix, kind, am, pm, low, high, weight in COUNTY_SCHOOL_KINDS:
            school_id = f"K{code[-3:]}{suffix}"
            site = postcodes[rng.randrange(len(postcodes))]
            table.append((school_id, kind, am, pm, low, high, weight * scale))
            rows[school_id] = {
                "name": f"{name} {COUNTY_KIND_WORDS[kind]} {suffix} (synthetic)",
                "lon": f"{site.lon:.6f}",
                "lat": f"{site.lat:.6f}",
                "la": "Kent",
                "postcode": site.postcode,
            }
    return table, rows


def read_havering_school_rows(shared: Path) -> dict[str, dict[str, str]]:
    """URN -> (name, lon, lat, la, postcode) from the GLA list, then the GIAS 2019 extract."""
    found: dict[str, dict[str, str]] = {}
    with (shared / "schools" / "gla_schools_havering_bd_redbridge.csv").open(
        encoding="utf-8"
    ) as handle:
        for r in csv.DictReader(handle):
            # The GLA copy repeats a few URNs; the first row is kept.
            found.setdefault(
                r["urn"],
                {
                    "name": r["establishment_name"],
                    "lon": r["lon"],
                    "lat": r["lat"],
                    "la": r["la_name"],
                    "postcode": "",
                },
            )
    with (shared / "schools" / "gias2019_nursery_subset_havering_bd_redbridge.csv").open(
        encoding="utf-8"
    ) as handle:
        for r in csv.DictReader(handle):
            row = {
                "name": r["EstablishmentName"],
                "lon": r["lon"],
                "lat": r["lat"],
                "la": r["LA (name)"],
                "postcode": r["Postcode"],
            }
            if r["URN"] not in found:
                found[r["URN"]] = row
            elif not found[r["URN"]]["postcode"] and r["lon"] == found[r["URN"]]["lon"]:
                found[r["URN"]]["postcode"] = r["Postcode"]
    return found


def read_rutland_school_rows(shared: Path) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    path = shared / "roads_fallback_rutland" / "osm_schools_rutland_2018.csv"
    with path.open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            school_id = r["ref_edubase"] or f"OSM-{r['osm_id']}"
            found[school_id] = {
                "name": r["name"],
                "lon": r["lon"],
                "lat": r["lat"],
                "la": "Rutland",
                "postcode": r["addr_postcode"],
            }
    return found


def hhmm_s(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def build_schools(
    table: Sequence[tuple[str, SchoolKind, str, str, int, int, float]],
    rows: dict[str, dict[str, str]],
    names: dict[str, str] | None = None,
) -> list[School]:
    schools = []
    for school_id, kind, am, pm, _, _, _ in table:
        row = rows[school_id]
        schools.append(
            School(
                school_id=school_id,
                name=(names or {}).get(school_id, row["name"]),
                lon=round(float(row["lon"]), 6),
                lat=round(float(row["lat"]), 6),
                kind=kind,
                am_start_s=hhmm_s(am),
                pm_end_s=hhmm_s(pm),
                arrive_window_open_s=25 * 60,
                arrive_window_close_s=5 * 60,
                pm_max_wait_s=20 * 60,
                handover_s=60 if kind is SchoolKind.SPECIAL else 30,
                postcode=row["postcode"],
                local_authority=row["la"],
            )
        )
    return schools


# --------------------------------------------------------------------------- pupils


@dataclass
class Draft:
    """A pupil being generated (mutable until it becomes a model.Pupil)."""

    pupil_id: str
    school: School
    postcode: str
    lon: float
    lat: float
    year_group: int
    first_name: str
    last_name: str
    wheelchair: bool = False
    needs_assistant: bool = False
    travel_alone: bool = False
    requirement: VehicleRequirement = VehicleRequirement.NONE
    boarding_s: int | None = None
    max_ride_min: int | None = None
    sibling_group: str = ""
    attends_am: bool = True
    attends_pm: bool = True
    cannot_walk_assessed: bool = True
    is_low_income: bool = False
    has_unsafe_route: bool = False
    dob: date = field(default_factory=lambda: date(2015, 1, 1))

    @property
    def home(self) -> tuple[float, float]:
        return (self.lon, self.lat)

    @property
    def school_point(self) -> tuple[float, float]:
        return (self.school.lon, self.school.lat)


def birth_date(rng: random.Random, year_group: int) -> date:
    """A date of birth in the school year that gives ``year_group`` in 2025/26."""
    start = date(ACADEMIC_YEAR_START - 5 - year_group, 9, 1)
    return start + timedelta(days=rng.randrange(365))


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder allocation of ``total`` in proportion to ``weights``."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def pick_home(
    rng: random.Random,
    postcodes: Sequence[Postcode],
    school: School,
    kind_scale_m: float | None,
    cache: dict[str, list[float]] | None = None,
) -> Postcode:
    """A home postcode for a pupil of ``school`` (near it when ``kind_scale_m`` is set).

    ``cache`` keeps each school's cumulative weights (the county's 45,000 postcodes);
    ``rng.choices`` draws the same with ``cum_weights`` as with ``weights``.
    """
    if kind_scale_m is None:
        return postcodes[rng.randrange(len(postcodes))]
    cum = None if cache is None else cache.get(school.school_id)
    if cum is None:
        weights = [
            math.exp(-great_circle_m(p.lon, p.lat, school.lon, school.lat) / kind_scale_m)
            for p in postcodes
        ]
        cum = list(itertools.accumulate(weights))
        if cache is not None:
            cache[school.school_id] = cum
    return rng.choices(postcodes, cum_weights=cum, k=1)[0]


def direct_minutes(draft: Draft, kph: float) -> float:
    return road_m(draft.home, draft.school_point) / 1000 / kph * 60


def generate_pupils(
    rng: random.Random,
    schools: Sequence[School],
    table: Sequence[tuple[str, SchoolKind, str, str, int, int, float]],
    postcodes: Sequence[Postcode],
    total: int,
    *,
    local_scale_m: dict[str, float | None],
    slow_kph: float,
    policy: Policy,
    raise_limits: bool = True,
) -> list[Draft]:
    by_id = {s.school_id: s for s in schools}
    cache: dict[str, list[float]] = {}
    counts = allocate(total, [row[6] for row in table])
    drafts: list[Draft] = []
    sibling_count = 0

    def new_id() -> str:
        return f"P{len(drafts) + 1:04d}"

    for (school_id, kind, _, _, low, high, _), count in zip(table, counts, strict=True):
        school = by_id[school_id]
        made = sum(1 for d in drafts if d.school.school_id == school_id)
        while made < count:
            home = pick_home(rng, postcodes, school, local_scale_m[school_id], cache)
            lon, lat = jitter(rng, home.lon, home.lat)
            last = rng.choice(LAST_NAMES)
            draft = make_draft(rng, new_id(), school, kind, home, lon, lat, last, low, high)
            drafts.append(draft)
            made += 1
            if rng.random() < SIBLING_SHARE and made < count:
                sibling_count += 1
                group = f"S{sibling_count:03d}"
                draft.sibling_group = group
                size = 3 if rng.random() < 0.12 else 2
                for _ in range(size - 1):
                    # mostly the same school; else another school for their age
                    target = school
                    target_kind, t_low, t_high = kind, low, high
                    if rng.random() < 0.2:
                        row = rng.choice([r for r in table if r[0] != school_id])
                        target = by_id[row[0]]
                        target_kind, t_low, t_high = row[1], row[4], row[5]
                    sib = make_draft(
                        rng, new_id(), target, target_kind, home, lon, lat, last, t_low, t_high
                    )
                    sib.sibling_group = group
                    sib.travel_alone = False
                    sib.is_low_income = draft.is_low_income
                    drafts.append(sib)
                    if target is school:
                        made += 1
                draft.travel_alone = False
    set_ride_limits(rng, drafts, slow_kph, policy, raise_limits=raise_limits)
    return drafts


def make_draft(
    rng: random.Random,
    pupil_id: str,
    school: School,
    kind: SchoolKind,
    home: Postcode,
    lon: float,
    lat: float,
    last_name: str,
    low: int,
    high: int,
) -> Draft:
    mix = NEEDS_BY_KIND[kind]
    year_group = rng.randint(low, high)
    draft = Draft(
        pupil_id=pupil_id,
        school=school,
        postcode=home.postcode,
        lon=lon,
        lat=lat,
        year_group=year_group,
        first_name=rng.choice(FIRST_NAMES),
        last_name=last_name,
        dob=birth_date(rng, year_group),
    )
    draft.wheelchair = rng.random() < mix.wheelchair
    draft.needs_assistant = rng.random() < (
        mix.assistant_if_wheelchair if draft.wheelchair else mix.assistant
    )
    draft.travel_alone = rng.random() < mix.travel_alone
    if draft.wheelchair:
        draft.requirement = VehicleRequirement.WHEELCHAIR_ACCESSIBLE
        if rng.random() < 0.12:
            draft.boarding_s = rng.choice((240, 300))
    else:
        if rng.random() < mix.small_vehicle:
            draft.requirement = VehicleRequirement.SMALL_VEHICLE
        if draft.needs_assistant and rng.random() < 0.12:
            draft.boarding_s = rng.choice((90, 120))
    part_time = rng.random()
    if part_time < 0.012:
        draft.attends_pm = False
    elif part_time < 0.024:
        draft.attends_am = False
    special = kind in (SchoolKind.SPECIAL, SchoolKind.ALTERNATIVE_PROVISION)
    draft.cannot_walk_assessed = special or rng.random() < 0.7
    draft.is_low_income = rng.random() < 0.25
    draft.has_unsafe_route = rng.random() < 0.05
    return draft


def set_ride_limits(
    rng: random.Random,
    drafts: Sequence[Draft],
    slow_kph: float,
    policy: Policy,
    *,
    raise_limits: bool = True,
) -> None:
    for draft in drafts:
        default_min = (
            policy.max_ride_primary_s if draft.year_group <= 6 else policy.max_ride_secondary_s
        ) / 60
        generous = direct_minutes(draft, slow_kph) + 5
        if generous * 1.4 > default_min:
            if not raise_limits:
                continue
            draft.max_ride_min = min(120, 5 * math.ceil(generous * 1.4 / 5))
        elif generous * 1.6 <= 30 and rng.random() < SHORT_LIMIT_SHARE * 2:
            draft.max_ride_min = 30


def mark_unservable(drafts: Sequence[Draft], schools_out: set[str], count: int) -> list[str]:
    """Give the ``count`` farthest out-of-borough pupils a limit no direct trip meets."""
    candidates = sorted(
        (d for d in drafts if d.school.school_id in schools_out and not d.sibling_group),
        key=lambda d: -great_circle_m(d.lon, d.lat, d.school.lon, d.school.lat),
    )
    chosen = candidates[:count]
    for draft in chosen:
        draft.max_ride_min = 15
    return [d.pupil_id for d in chosen]


def pick_incompatible(
    rng: random.Random, drafts: Sequence[Draft], count: int
) -> list[IncompatiblePair]:
    by_school: dict[str, list[Draft]] = defaultdict(list)
    for d in drafts:
        if not d.travel_alone:
            by_school[d.school.school_id].append(d)
    pairs: list[IncompatiblePair] = []
    used: set[frozenset[str]] = set()
    schools = sorted(s for s, ds in by_school.items() if len(ds) >= 6)
    attempts = 0
    while len(pairs) < count and attempts < 10_000:
        attempts += 1
        members = by_school[rng.choice(schools)]
        a = rng.choice(members)
        near = sorted(
            (d for d in members if d is not a),
            key=lambda d: great_circle_m(d.lon, d.lat, a.lon, a.lat),
        )[:4]
        b = rng.choice(near)
        key = frozenset((a.pupil_id, b.pupil_id))
        if key in used or (a.sibling_group and a.sibling_group == b.sibling_group):
            continue
        used.add(key)
        pairs.append(IncompatiblePair(a.pupil_id, b.pupil_id))
    return pairs


def to_pupil(draft: Draft, policy: Policy) -> Pupil:
    default_boarding = (
        policy.default_wheelchair_boarding_s if draft.wheelchair else policy.default_boarding_s
    )
    return Pupil(
        pupil_id=draft.pupil_id,
        school_id=draft.school.school_id,
        lon=draft.lon,
        lat=draft.lat,
        year_group=draft.year_group,
        first_name=draft.first_name,
        last_name=draft.last_name,
        postcode=draft.postcode,
        date_of_birth=draft.dob,
        needs=Needs(
            wheelchair=draft.wheelchair,
            needs_assistant=draft.needs_assistant,
            travel_alone=draft.travel_alone,
            vehicle_requirement=draft.requirement,
            boarding_s=draft.boarding_s if draft.boarding_s is not None else default_boarding,
            max_ride_s=None if draft.max_ride_min is None else draft.max_ride_min * 60,
        ),
        sibling_group=draft.sibling_group,
        attends_am=draft.attends_am,
        attends_pm=draft.attends_pm,
        cannot_walk_assessed=draft.cannot_walk_assessed,
        is_low_income=draft.is_low_income,
        has_unsafe_route=draft.has_unsafe_route,
    )


# --------------------------------------------------------------------------- current routes


def order_pickups(members: Sequence[Draft]) -> list[Draft]:
    """Farthest pupil first, then nearest next: how a driver is usually given a route."""
    school = members[0].school_point
    remaining = sorted(members, key=lambda d: (-road_m(d.home, school), d.pupil_id))
    route = [remaining.pop(0)]
    while remaining:
        last = route[-1].home
        remaining.sort(key=lambda d: (road_m(last, d.home), d.pupil_id))
        route.append(remaining.pop(0))
    return route


def route_metres(members: Sequence[Draft]) -> float:
    ordered = order_pickups(members)
    points = [d.home for d in ordered] + [ordered[0].school_point]
    return sum(road_m(a, b) for a, b in itertools.pairwise(points))


def ride_ok(members: Sequence[Draft], policy: Policy, kph: float) -> bool:
    """Every pupil's estimated ride (pickup to school) within their limit."""
    ordered = order_pickups(members)
    points = [d.home for d in ordered] + [ordered[0].school_point]
    for i, draft in enumerate(ordered):
        metres = sum(road_m(a, b) for a, b in zip(points[i:], points[i + 1 :], strict=False))
        stops_after = sum((d.boarding_s or (180 if d.wheelchair else 60)) for d in ordered[i + 1 :])
        ride_s = metres / 1000 / kph * 3600 + stops_after
        limit_min = (
            draft.max_ride_min
            or (policy.max_ride_primary_s if draft.year_group <= 6 else policy.max_ride_secondary_s)
            / 60
        )
        if ride_s > limit_min * 60:
            return False
    return True


def cheapest_vehicle(members: Sequence[Draft], has_assistant: bool) -> VehicleType | None:
    chairs = sum(1 for d in members if d.wheelchair)
    seated = len(members) - chairs + (1 if has_assistant else 0)
    small_only = any(d.requirement is VehicleRequirement.SMALL_VEHICLE for d in members)
    for vehicle in sorted(VEHICLE_TYPES, key=lambda v: v.day_rate_pence):
        if small_only and not vehicle.is_small:
            continue
        if chairs > vehicle.max_wheelchair_places:
            continue
        if seated <= vehicle.capacity_seats - chairs * vehicle.seats_per_wheelchair_place:
            return vehicle
    return None


def day_price_pence(
    rng: random.Random,
    members: Sequence[Draft],
    vehicle: VehicleType,
    has_assistant: bool,
    policy: Policy,
) -> int:
    miles = 2 * route_metres(members) / METRES_PER_MILE  # AM and PM
    pence = vehicle.day_rate_pence + vehicle.cost_per_mile_pence * miles
    if has_assistant:
        pence += policy.assistant_day_cost_pence
    pence *= math.exp(rng.gauss(0.0, CONTRACT_NOISE_SIGMA))
    return round(pence / 100) * 100


def _group_distance_key(home: tuple[float, float], group: list[Draft]) -> tuple[float, str]:
    return (min(road_m(home, d.home) for d in group), group[0].pupil_id)


def outward(postcode: str) -> str:
    return postcode.split()[0] if postcode else ""


def build_current_routes(
    rng: random.Random,
    drafts: Sequence[Draft],
    pairs: Sequence[IncompatiblePair],
    policy: Policy,
    kph: float,
) -> list[CurrentRoute]:
    enemies: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        enemies[pair.pupil_a].add(pair.pupil_b)
        enemies[pair.pupil_b].add(pair.pupil_a)
    routes: list[CurrentRoute] = []
    by_school: dict[str, list[Draft]] = defaultdict(list)
    for d in drafts:
        by_school[d.school.school_id].append(d)

    def add_route(members: list[Draft]) -> None:
        has_assistant = any(d.needs_assistant for d in members)
        vehicle = cheapest_vehicle(members, has_assistant)
        assert vehicle is not None, [d.pupil_id for d in members]
        price = day_price_pence(rng, members, vehicle, has_assistant, policy)
        routes.append(
            CurrentRoute(
                route_id=f"CR{len(routes) + 1:04d}",
                vehicle_type=vehicle.name,
                has_assistant=has_assistant,
                pupil_ids=tuple(d.pupil_id for d in order_pickups(members)),
                day_price_pence=None if rng.random() < UNKNOWN_PRICE_SHARE else price,
            )
        )

    for school_id in sorted(by_school):
        members = by_school[school_id]
        kind = members[0].school.kind
        # units: siblings at this school travel together
        units: dict[str, list[Draft]] = defaultdict(list)
        for d in members:
            units[d.sibling_group or d.pupil_id].append(d)
        grouped: dict[str, list[list[Draft]]] = defaultdict(list)
        for key in sorted(units):
            unit = units[key]
            solo = (
                any(d.travel_alone for d in unit)
                or any(d.max_ride_min is not None and d.max_ride_min < 30 for d in unit)
                or rng.random() < SOLO_SHARE_BY_KIND[kind]
            )
            if solo:
                add_route(list(unit))
            else:
                grouped[outward(unit[0].postcode)].append(unit)
        max_group = MAX_GROUP_BY_KIND[kind]

        def fits(candidate: list[Draft], max_group: int = max_group) -> bool:
            if len(candidate) > max_group:
                return False
            ids = {d.pupil_id for d in candidate}
            if any(enemies[d.pupil_id] & ids for d in candidate):
                return False
            has_assistant = any(d.needs_assistant for d in candidate)
            if cheapest_vehicle(candidate, has_assistant) is None:
                return False
            return ride_ok(candidate, policy, kph)

        school_groups: list[list[Draft]] = []
        for district in sorted(grouped):
            # first pass: the pupils of one postcode district, in small groups
            district_units = sorted(grouped[district], key=lambda u: (u[0].lon, u[0].pupil_id))
            open_groups: list[list[Draft]] = []
            for unit in district_units:
                for group in open_groups:
                    if fits(group + unit):
                        group.extend(unit)
                        break
                else:
                    open_groups.append(list(unit))
            school_groups.extend(open_groups)
        # second pass: a pupil left alone in their district is added "on the way" to the
        # nearest group of the same school that still has room, when one does
        singles = [g for g in school_groups if len(g) == 1]
        school_groups = [g for g in school_groups if len(g) > 1]
        for single in singles:
            home = single[0].home
            nearest = sorted(
                school_groups,
                key=functools.partial(_group_distance_key, home),
            )
            for group in nearest[:3]:
                if min(road_m(home, d.home) for d in group) < NEIGHBOUR_M and fits(group + single):
                    group.extend(single)
                    break
            else:
                school_groups.append(single)
        for group in school_groups:
            add_route(group)
    return routes


# --------------------------------------------------------------------------- scenarios


def build_scenario(
    name: str,
    rng: random.Random,
    schools: list[School],
    table: Sequence[tuple[str, SchoolKind, str, str, int, int, float]],
    postcodes: Sequence[Postcode],
    total: int,
    *,
    local_scale_m: dict[str, float | None],
    policy: Policy,
    network: NetworkSource,
    num_pairs: int,
    out_of_area: set[str],
    num_unservable: int,
    raise_limits: bool = True,
) -> tuple[Scenario, list[str]]:
    drafts = generate_pupils(
        rng,
        schools,
        table,
        postcodes,
        total,
        local_scale_m=local_scale_m,
        slow_kph=SLOW_KPH[name],
        policy=policy,
        raise_limits=raise_limits,
    )
    unservable = mark_unservable(drafts, out_of_area, num_unservable)
    pairs = pick_incompatible(rng, drafts, num_pairs)
    routes = build_current_routes(rng, drafts, pairs, policy, PLANNER_KPH[name])
    scenario = Scenario(
        name=name,
        schools=tuple(schools),
        pupils=tuple(to_pupil(d, policy) for d in drafts),
        vehicle_types=VEHICLE_TYPES,
        policy=policy,
        incompatible_pairs=tuple(pairs),
        current_routes=tuple(routes),
        network=network,
    )
    return scenario, unservable


def summarise(scenario: Scenario, unservable: Sequence[str]) -> list[str]:
    pupils = scenario.pupils
    n = len(pupils)
    routes = scenario.current_routes
    solo_routes = [r for r in routes if len(r.pupil_ids) == 1]
    known = [r.day_price_pence for r in routes if r.day_price_pence is not None]
    day_pence = sum(known)
    # unknown contract prices estimated at the mean known price per pupil of similar size
    mean_known_per_route = day_pence / max(1, len(known))
    day_with_estimates = day_pence + (len(routes) - len(known)) * mean_known_per_route
    annual = day_with_estimates * scenario.policy.school_days_per_year / 100
    by_type: dict[str, int] = defaultdict(int)
    for r in routes:
        by_type[r.vehicle_type] += 1

    def share(flag: int) -> str:
        return f"{flag} ({100 * flag / n:.1f}%)"

    in_la = sum(1 for s in scenario.schools if s.local_authority in ("Havering", "Rutland", "Kent"))
    return [
        f"scenario {scenario.name}: {len(scenario.schools)} schools "
        f"({in_la} in the authority), {n} pupils",
        f"  wheelchair users {share(sum(p.needs.wheelchair for p in pupils))}, "
        f"need an assistant {share(sum(p.needs.needs_assistant for p in pupils))}, "
        f"travel alone {share(sum(p.needs.travel_alone for p in pupils))}, "
        f"siblings {share(sum(bool(p.sibling_group) for p in pupils))}, "
        f"own ride limit {share(sum(p.needs.max_ride_s is not None for p in pupils))}",
        f"  incompatible pairs {len(scenario.incompatible_pairs)}; deliberately unservable "
        f"(15-min limit, long direct trip): {', '.join(unservable) or 'none'}",
        f"  current arrangement: {len(routes)} routes "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_type.items()))}), "
        f"with assistant {sum(r.has_assistant for r in routes)}",
        f"  solo routes {len(solo_routes)} ({100 * len(solo_routes) / len(routes):.1f}% of "
        f"routes, {100 * len(solo_routes) / n:.1f}% of pupils ride alone); mean pupils per "
        f"route {n / len(routes):.2f}",
        f"  day cost £{day_pence / 100:,.0f} over {len(known)} known prices "
        f"({len(routes) - len(known)} unknown, estimated at the mean: day "
        f"£{day_with_estimates / 100:,.0f}); annual x{scenario.policy.school_days_per_year} "
        f"£{annual:,.0f}; per pupil-day £{day_with_estimates / 100 / n:.2f}",
    ]


def build_havering(
    shared: Path, out: Path, num_pupils: int = 800, folder_name: str = "havering"
) -> list[str]:
    rng = random.Random(SEED)
    rows = read_havering_school_rows(shared)
    schools = build_schools(HAVERING_SCHOOLS, rows, HAVERING_AP_NAME)
    postcodes = read_postcodes(
        shared / "postcodes" / "codepoint_open_2025_havering_3km.csv.gz", havering_only=True
    )
    local: dict[str, float | None] = {}
    out_of_area: set[str] = set()
    for school_id, kind, *_ in HAVERING_SCHOOLS:
        la = rows[school_id]["la"]
        if la != "Havering":
            local[school_id] = 8000.0
            out_of_area.add(school_id)
        elif kind in (SchoolKind.MAINSTREAM, SchoolKind.RESOURCED) and school_id not in (
            "130444",
            "130445",
        ):
            local[school_id] = 2500.0
        else:
            local[school_id] = None
    scenario, unservable = build_scenario(
        "havering",
        rng,
        schools,
        HAVERING_SCHOOLS,
        postcodes,
        num_pupils,
        local_scale_m=local,
        policy=Policy(),
        network=NetworkSource(),
        num_pairs=15,
        out_of_area=out_of_area,
        num_unservable=2,
    )
    # Real collection points and the synthetic marking of who may use one (their own
    # script, with a hash per pupil, so the generator's random stream is untouched); the
    # shipped 800-pupil scenario only.
    if folder_name == "havering":
        scenario = with_collection_points(scenario, shared)
    folder = out / folder_name
    scenario = dataclasses.replace(scenario, name=folder_name)  # a folder's name is its own
    write_scenario(scenario, folder)
    write_boundary(
        shared / "boundaries" / "havering_boundary_gla.geojson",
        folder / "havering_boundary.geojson",
        attribution=HAVERING_BOUNDARY_ATTRIBUTION,
    )
    reloaded = load_scenario(folder)
    assert reloaded == scenario, f"{folder} does not round-trip"
    return summarise(scenario, unservable)


HAVERING_BOUNDARY_ATTRIBUTION = (
    "Boundary: GLA London Datastore, Statistical GIS Boundary Files for London (OGL v3). "
    "Contains National Statistics data © Crown copyright and database right; Contains "
    "Ordnance Survey data © Crown copyright and database right"
)
RUTLAND_BOUNDARY_ATTRIBUTION = (
    "Boundary: ONS Local Authority Districts (December 2017), super generalised clipped "
    "(OGL v3). Contains National Statistics data © Crown copyright and database right "
    "2018; Contains OS data © Crown copyright and database right 2018"
)


def write_boundary(
    source: Path, dest: Path, *, attribution: str, lad17cd: str | None = None
) -> None:
    """Copy a boundary GeoJSON for the officer's map (routing/basemap.py), keeping one
    district's feature when ``lad17cd`` is given and adding its ``attribution``."""
    document = json.loads(source.read_text(encoding="utf-8"))
    if lad17cd is not None:
        document["features"] = [
            f for f in document["features"] if f["properties"].get("lad17cd") == lad17cd
        ]
    assert document["features"], f"{source.name} has no feature {lad17cd}"
    document["attribution"] = attribution
    dest.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")


def build_rutland(shared: Path, out: Path) -> list[str]:
    rng = random.Random(SEED + 1)
    rows = read_rutland_school_rows(shared)
    schools = build_schools(RUTLAND_SCHOOLS, rows)
    postcodes = read_postcodes(
        shared / "postcodes" / "codepoint_open_2025_rutland.csv.gz", havering_only=False
    )
    local: dict[str, float | None] = {
        school_id: (None if kind is SchoolKind.SPECIAL else 6000.0)
        for school_id, kind, *_ in RUTLAND_SCHOOLS
    }
    folder = out / "rutland"
    folder.mkdir(parents=True, exist_ok=True)
    roads = shared / "roads_fallback_rutland"
    for graph in ("rutland_drive_2018.graphml.gz", "rutland_walk_2018.graphml.gz"):
        shutil.copyfile(roads / graph, folder / graph)
    network = NetworkSource(
        drive_graph="rutland_drive_2018.graphml.gz",
        walk_graph="rutland_walk_2018.graphml.gz",
        description=(
            "OpenStreetMap roads of Rutland (Geofabrik extract, 2018-02-23), "
            "© OpenStreetMap contributors, ODbL 1.0"
        ),
    )
    scenario, unservable = build_scenario(
        "rutland",
        rng,
        schools,
        RUTLAND_SCHOOLS,
        postcodes,
        130,
        local_scale_m=local,
        policy=Policy(),
        network=network,
        num_pairs=4,
        out_of_area=set(),
        num_unservable=0,
    )
    write_scenario(scenario, folder)
    write_boundary(
        shared / "boundaries" / "lad2017_context_sgcb.geojson",
        folder / "rutland_boundary.geojson",
        attribution=RUTLAND_BOUNDARY_ATTRIBUTION,
        lad17cd="E06000017",
    )
    reloaded = load_scenario(folder)
    assert reloaded == scenario, "data/rutland does not round-trip"
    return summarise(scenario, unservable)


def build_county(shared: Path, out: Path) -> list[str]:
    """data/county: 5,000 pupils over Kent, 72 synthetic schools at real postcodes."""
    rng = random.Random(SEED + 2)
    districts = read_kent_postcodes(shared / "postcodes" / "codepoint_open_2025_kent.csv.gz")
    table, rows = county_school_table(rng, districts)
    schools = build_schools(table, rows)
    postcodes = sorted((p for pcs in districts.values() for p in pcs), key=lambda p: p.postcode)
    kinds = {school_id: kind for school_id, kind, *_ in table}
    local: dict[str, float | None] = {sid: COUNTY_SCALE_M[kind] for sid, kind in kinds.items()}
    scenario, unservable = build_scenario(
        "county",
        rng,
        schools,
        table,
        postcodes,
        COUNTY_PUPILS,
        local_scale_m=local,
        policy=Policy(),
        network=NetworkSource(),
        num_pairs=90,
        out_of_area=set(),
        num_unservable=0,
        raise_limits=False,
    )
    folder = out / "county"
    write_scenario(scenario, folder)
    reloaded = load_scenario(folder)
    assert reloaded == scenario, "data/county does not round-trip"
    return summarise(scenario, unservable)


def build_havering_2000(shared: Path, out: Path) -> list[str]:
    """Havering's schools and postcodes with 2,000 pupils (the load test's scenario)."""
    return build_havering(shared, out, num_pupils=2000, folder_name="havering-2000")


BUILDERS = {
    "havering": build_havering,
    "rutland": build_rutland,
    "county": build_county,
    "havering-2000": build_havering_2000,
}
# What `make data` builds into data/; havering-2000 is built on demand (--only).
SHIPPED = ("havering", "rutland", "county")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="the shared open-data folder (default: ../shared/data)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "data", help="where to write (default: data/)"
    )
    parser.add_argument(
        "--only",
        choices=sorted(BUILDERS),
        action="append",
        help="build only this scenario (repeatable; default: the three in data/)",
    )
    args = parser.parse_args(argv)
    for name in args.only or SHIPPED:
        for line in BUILDERS[name](args.shared, args.out):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
