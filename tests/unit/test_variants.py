"""Finance variants: the grammar, applying overrides, personal budgets and the comparison."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from routing.errors import InvalidScenarioError, NoSolutionError
from routing.matrix import TravelMatrix, pupil_location_id, school_location_id
from routing.model import (
    METRES_PER_MILE,
    CurrentRoute,
    IncompatiblePair,
    Plan,
    Policy,
    Pupil,
    Route,
    Run,
    Scenario,
    School,
    SchoolKind,
    SolveParams,
    Stop,
    StopKind,
    VehicleCategory,
    VehicleType,
)
from routing.variants import (
    OverrideKind,
    apply_variant,
    compare_variants,
    describe_variant,
    format_variant_table,
    parse_variant,
    parse_variants,
    personal_budgets,
    variant_rows,
    write_variant_chart,
    write_variant_csv,
    write_variant_outputs,
)


def _scenario() -> Scenario:
    schools = (
        School("S1", "One", 0.20, 51.55, SchoolKind.SPECIAL, 9 * 3600, 15 * 3600),
        School("S2", "Two", 0.25, 51.56, SchoolKind.SPECIAL, 8 * 3600 + 45 * 60, 15 * 3600),
    )
    pupils = tuple(
        Pupil(f"P{k}", "S1" if k < 3 else "S2", 0.20 + k / 100, 51.57, year_group=2 + k)
        for k in range(1, 5)
    )
    types = (
        VehicleType("taxi", VehicleCategory.TAXI, 4, day_rate_pence=9000, cost_per_mile_pence=150),
        VehicleType("mpv", VehicleCategory.MPV, 6, day_rate_pence=11000, cost_per_mile_pence=170),
    )
    return Scenario(
        name="var",
        schools=schools,
        pupils=pupils,
        vehicle_types=types,
        incompatible_pairs=(IncompatiblePair("P1", "P2"), IncompatiblePair("P3", "P4")),
        current_routes=(
            CurrentRoute("C1", "taxi", False, ("P1",), day_price_pence=12000),
            CurrentRoute("C2", "mpv", False, ("P2", "P3", "P4")),
        ),
    )


def _matrix(scenario: Scenario) -> TravelMatrix:
    """Every pupil is 3,218.688 m (2 miles) from every school, 1,000 m from each other."""
    ids = [school_location_id(s.school_id) for s in scenario.schools]
    ids += [pupil_location_id(p.pupil_id) for p in scenario.pupils]
    n = len(ids)
    distance = np.full((n, n), 1000, dtype=np.int64)
    ns = len(scenario.schools)
    distance[:ns, ns:] = distance[ns:, :ns] = round(2 * METRES_PER_MILE)
    np.fill_diagonal(distance, 0)
    return TravelMatrix(
        location_ids=tuple(ids),
        lons=np.zeros(n),
        lats=np.zeros(n),
        duration_s=distance // 10,
        distance_m=distance,
        model="test matrix",
        is_approximate=False,
        snap_distance_m=np.zeros(n),
    )


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("text", "kind", "target", "key", "value"),
    [
        # the brief's ride-limit example, first override
        ("ride60=ride_limit_primary_min=60", OverrideKind.POLICY, "", "ride_limit_primary_min", 60),
        # a school's bell moved 15 minutes later
        ("bell=school:102362:am_shift_min=15", OverrideKind.SCHOOL, "102362", "am_shift_min", 15),
        # a negative shift moves it earlier
        ("early=school:*:shift_min=-10", OverrideKind.SCHOOL, "*", "shift_min", -10),
        # mixed-school routes forbidden, in any case
        ("nomix=mixed_schools=FALSE", OverrideKind.POLICY, "", "mixed_schools", False),
        # personal budgets for two pupils
        ("ptb=budget:P0001;P0002", OverrideKind.BUDGET, "P0001;P0002", "budget", None),
        # a price list file
        ("prices=vehicle_prices:file.csv", OverrideKind.PRICE_LIST, "file.csv", "vehicle_prices",
         "file.csv"),
        # all prices up 10 %
        ("dearer=price_factor=1.1", OverrideKind.POLICY, "", "price_factor", 1.1),
        # one vehicle type made unlimited
        ("fleet=vehicle:mpv:num_available=unlimited", OverrideKind.VEHICLE, "mpv",
         "num_available", None),
    ],
)  # fmt: skip
def test_grammar_parses(
    text: str, kind: OverrideKind, target: str, key: str, value: object
) -> None:
    variant = parse_variant(text)
    (override,) = variant.overrides
    assert (override.kind, override.target, override.key, override.value) == (
        kind,
        target,
        key,
        value,
    )


def test_grammar_keeps_several_overrides_in_order() -> None:
    variant = parse_variant("ride60=ride_limit_primary_min=60, ride_limit_secondary_min=90")
    assert variant.name == "ride60"
    assert [o.key for o in variant.overrides] == [
        "ride_limit_primary_min",
        "ride_limit_secondary_min",
    ]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # no '=' at all
        ("ride60", "must be written NAME=OVERRIDE"),
        # nothing after the name
        ("ride60=", "must be written NAME=OVERRIDE"),
        # a misspelt setting is named, with the token
        ("r=ride_limit_primry_min=60", "unknown setting 'ride_limit_primry_min' in "
         "'ride_limit_primry_min=60'"),
        # minutes must be whole numbers
        ("r=ride_limit_primary_min=sixty", "ride_limit_primary_min must be a whole number, "
         "got 'sixty' in 'ride_limit_primary_min=sixty'"),
        # and positive
        ("r=ride_limit_primary_min=0", "must be > 0, got '0'"),
        # booleans are true/false
        ("m=mixed_schools=maybe", "mixed_schools must be true or false, got 'maybe'"),
        # an unknown prefix
        ("x=depot:1:lon=0", "unknown prefix 'depot:'"),
        # an unknown school setting
        ("b=school:S1:bell=5", "unknown school setting 'bell' in 'school:S1:bell=5'"),
        # a school override missing its setting
        ("b=school:S1", "expected 'school:ID:SETTING=VALUE' in 'school:S1'"),
        # an empty budget list entry
        ("p=budget:P1;;P2", "expected 'budget:PUPIL_ID.*' in 'budget:P1;;P2'"),
        # a trailing comma leaves an empty override
        ("r=mixed_schools=false,", "empty override"),
        # a price factor must be positive
        ("f=price_factor=-1", "price_factor must be > 0, got '-1'"),
        # infinity is not a price
        ("f=price_factor=inf", "price_factor must be a finite number, got 'inf'"),
        # names are restricted so they are safe in files and tables
        ("my variant=mixed_schools=false", "Variant name 'my variant'"),
        # 'baseline' is the unchanged plan
        ("baseline=mixed_schools=false", "reserved"),
        # a comfort factor is 0 (off) or 1..3, its extra minutes whole and 0..120
        ("c=comfort_ride_factor=0.5", "comfort_ride_factor must be 0 \\(off\\) or 1..3"),
        ("c=comfort_ride_extra_min=121", "comfort_ride_extra_min must be within 0..120"),
        ("c=comfort_ride_extra_min=2.5", "comfort_ride_extra_min must be a whole number"),
    ],
)  # fmt: skip
def test_grammar_errors_name_the_bad_token(text: str, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        parse_variant(text)


def test_duplicate_variant_names_are_refused() -> None:
    with pytest.raises(InvalidScenarioError, match="'a' is used twice"):
        parse_variants(["a=mixed_schools=false", "a=price_factor=2"])


# --------------------------------------------------------------------------- applying


def test_ride_limits_change_policy_defaults_only() -> None:
    scenario = _scenario()
    changed = apply_variant(
        scenario, parse_variant("r=ride_limit_primary_min=60,ride_limit_secondary_min=90")
    )
    assert changed.policy.max_ride_primary_s == 3600
    assert changed.policy.max_ride_secondary_s == 5400
    assert changed.name == "var+r"
    assert scenario.policy.max_ride_primary_s == 45 * 60  # the original is untouched


def test_comfort_limit_overrides_change_the_policy_and_say_so() -> None:
    scenario = _scenario()
    variant = parse_variant("c=comfort_ride_factor=1.5,comfort_ride_extra_min=20")
    changed = apply_variant(scenario, variant)
    assert (changed.policy.comfort_ride_factor, changed.policy.comfort_ride_extra_s) == (1.5, 1200)
    assert changed.policy.comfort_ride_s(30 * 60) == 50 * 60  # max(45, 30 + 20) minutes
    assert scenario.policy.comfort_ride_factor == Policy().comfort_ride_factor
    off = apply_variant(scenario, parse_variant("o=comfort_ride_factor=0,comfort_ride_extra_min=0"))
    assert off.policy.comfort_ride_s(30 * 60) is None
    assert describe_variant(parse_variant("o=comfort_ride_factor=0")) == "comfort factor off"
    assert describe_variant(variant) == (
        "comfort limit 1.5 x the direct trip; comfort limit the direct trip + 20 min"
    )


def test_bell_shift_moves_one_school_or_all() -> None:
    scenario = _scenario()
    one = apply_variant(scenario, parse_variant("b=school:S1:am_shift_min=15"))
    assert one.school("S1").am_start_s == 9 * 3600 + 900
    assert one.school("S1").pm_end_s == 15 * 3600
    assert one.school("S2").am_start_s == scenario.school("S2").am_start_s
    every = apply_variant(scenario, parse_variant("b=school:*:shift_min=-10"))
    assert [s.am_start_s for s in every.schools] == [9 * 3600 - 600, 8 * 3600 + 45 * 60 - 600]
    assert [s.pm_end_s for s in every.schools] == [15 * 3600 - 600] * 2


def test_bell_shift_that_breaks_the_day_names_school_and_token() -> None:
    with pytest.raises(
        InvalidScenarioError, match="school 'S1' would have an impossible day in "
        "'school:S1:am_shift_min=400'"
    ):  # fmt: skip
        apply_variant(_scenario(), parse_variant("b=school:S1:am_shift_min=400"))


def test_mixed_schools_and_prices() -> None:
    changed = apply_variant(
        _scenario(),
        parse_variant("v=mixed_schools=false,price_factor=1.1,vehicle:mpv:day_rate_gbp=99.5"),
    )
    assert not changed.policy.allow_mixed_school_routes
    taxi, mpv = changed.vehicle_types
    assert (taxi.day_rate_pence, taxi.cost_per_mile_pence) == (9900, 165)
    assert (mpv.day_rate_pence, mpv.cost_per_mile_pence) == (9950, 187)


def test_price_list_file_replaces_listed_types(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(
        "name,day_rate_gbp,cost_per_mile_gbp,num_available\nmpv,120.00,,3\n", encoding="utf-8"
    )
    changed = apply_variant(
        _scenario(), parse_variant("p=vehicle_prices:prices.csv"), base_dir=tmp_path
    )
    taxi, mpv = changed.vehicle_types
    assert taxi == _scenario().vehicle_types[0]
    assert (mpv.day_rate_pence, mpv.cost_per_mile_pence, mpv.num_available) == (12000, 170, 3)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        # a type the scenario does not have
        ("name,day_rate_gbp\nbus,1\n", "row 2, field 'name' = 'bus'"),
        # a price that is not a number
        ("name,day_rate_gbp\ntaxi,lots\n", "row 2, field 'day_rate_gbp' = 'lots'"),
        # no name column
        ("vehicle,day_rate_gbp\ntaxi,1\n", "has no 'name' column"),
    ],
)
def test_price_list_errors_name_file_row_and_value(
    tmp_path: Path, content: str, match: str
) -> None:
    (tmp_path / "prices.csv").write_text(content, encoding="utf-8")
    with pytest.raises(InvalidScenarioError, match=match) as info:
        apply_variant(_scenario(), parse_variant("p=vehicle_prices:prices.csv"), base_dir=tmp_path)
    assert "Variant 'p'" in str(info.value)


def test_price_list_outside_base_dir_is_refused(tmp_path: Path) -> None:
    inside = tmp_path / "scenario"
    inside.mkdir()
    (tmp_path / "prices.csv").write_text("name,day_rate_gbp\ntaxi,1\n", encoding="utf-8")
    with pytest.raises(
        InvalidScenarioError, match=re.escape("price list '../prices.csv' is outside")
    ):
        apply_variant(_scenario(), parse_variant("p=vehicle_prices:../prices.csv"), base_dir=inside)


def test_price_list_files_can_be_refused_for_a_service(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenarioError, match="price list files are not accepted here"):
        apply_variant(
            _scenario(),
            parse_variant("p=vehicle_prices:prices.csv"),
            base_dir=tmp_path,
            allow_price_files=False,
        )


def test_missing_price_list_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenarioError, match="cannot be read"):
        apply_variant(_scenario(), parse_variant("p=vehicle_prices:nope.csv"), base_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # a school not in the scenario
        ("b=school:S9:am_shift_min=5", "unknown school 'S9' in 'school:S9:am_shift_min=5'"),
        # a vehicle type not in the scenario
        ("v=vehicle:bus:day_rate_gbp=1", "unknown vehicle type 'bus'"),
        # a pupil not in the scenario
        ("p=budget:P1;P9", "unknown pupil 'P9' in 'budget:P1;P9'"),
    ],
)
def test_unknown_targets_name_the_token(text: str, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        apply_variant(_scenario(), parse_variant(text))


def test_budget_pupils_leave_routes_pairs_and_todays_arrangement() -> None:
    changed = apply_variant(_scenario(), parse_variant("p=budget:P1;P3"))
    assert [p.pupil_id for p in changed.pupils] == ["P2", "P4"]
    assert changed.incompatible_pairs == ()
    assert [(r.route_id, r.pupil_ids) for r in changed.current_routes] == [("C2", ("P2", "P4"))]


def test_personal_budget_is_rate_times_miles_times_four_legs_times_days() -> None:
    scenario = _scenario()
    (budget,) = personal_budgets(scenario, _matrix(scenario), ["P1"])
    # 45 p/mile x 3,219 m (2.0002 miles) x 4 legs x 190 days = £684.07
    assert budget.distance_m == 3219
    assert budget.annual_pence == 68407
    assert budget.legs_per_day == 4
    assert not budget.is_estimate
    approximate = replace(_matrix(scenario), is_approximate=True)
    assert personal_budgets(scenario, approximate, ["P1"])[0].is_estimate


def test_personal_budget_am_only_pupil_has_two_legs_and_estimate_without_matrix() -> None:
    scenario = _scenario()
    scenario = replace(
        scenario,
        pupils=(replace(scenario.pupils[0], attends_pm=False), *scenario.pupils[1:]),
    )
    (budget,) = personal_budgets(scenario, None, ["P1"])
    assert budget.legs_per_day == 2
    assert budget.is_estimate


# --------------------------------------------------------------------------- comparing


def _one_route_per_pupil(scenario: Scenario, matrix: TravelMatrix) -> Plan:
    """A fake planner: each pupil alone in a taxi at half its day rate, AM only, riding
    10 min x pupil number."""
    taxi = scenario.vehicle_type("taxi")
    routes = []
    for k, pupil in enumerate(scenario.pupils, start=1):
        school = scenario.school(pupil.school_id)
        pick = Stop(
            StopKind.PICKUP,
            (pupil.pupil_id,),
            pupil_location_id(pupil.pupil_id),
            pupil.lon,
            pupil.lat,
            28800,
            28800,
            28860,
            pupil.school_id,
        )
        drop = Stop(StopKind.DROPOFF, (pupil.pupil_id,), school_location_id(school.school_id),
                    school.lon, school.lat, 28860 + 600 * k, 28860 + 600 * k,
                    28890 + 600 * k, pupil.school_id)  # fmt: skip
        routes.append(
            Route(
                f"R{k}",
                Run.AM,
                "taxi",
                4,
                0,
                False,
                (pick, drop),
                3219,
                600 * k,
                taxi.day_rate_pence // 2,
            )
        )
    return Plan(scenario.name, tuple(routes), (), matrix.model)


def test_compare_adds_budgets_and_reports_side_by_side() -> None:
    builds: list[str] = []

    def build(s: Scenario) -> TravelMatrix:
        builds.append(s.name)
        return _matrix(s)

    table = compare_variants(
        _scenario(), build, _one_route_per_pupil, ["ptb=budget:P4"], include_current=False
    )
    assert builds == ["var"]  # the variant reuses the baseline's matrix
    base, ptb = table.rows
    assert (base.name, ptb.name) == ("baseline", "ptb")
    assert base.annual_cost_pence == 4 * 4500 * 190
    assert base.num_pupils == 4
    assert base.cost_per_pupil_pence == 4500 * 190
    assert base.vehicles_by_type == (("taxi", 4),)
    assert (base.mean_ride_min, base.max_ride_min) == (25.0, 40.0)
    assert base.num_pupils_over_45_min == 0
    assert ptb.budget_annual_pence == 68407
    assert ptb.annual_cost_pence == 3 * 4500 * 190 + 68407
    assert ptb.num_pupils == 4 and ptb.num_budget_pupils == 1
    assert ptb.max_ride_min == 30.0
    assert ptb.description == "personal budgets for 1 pupil"


def test_compare_reports_a_failed_variant_and_carries_on() -> None:
    def planner(s: Scenario, m: TravelMatrix) -> Plan:
        if s.name.endswith("+nomix"):
            raise NoSolutionError("no plan at all")
        return _one_route_per_pupil(s, m)

    table = compare_variants(
        _scenario(), _matrix, planner, ["nomix=mixed_schools=false", "ok=price_factor=2"]
    )
    assert [r.name for r in table.rows] == ["current", "baseline", "nomix", "ok"]
    assert table.row("nomix").error == "no plan at all"
    assert table.row("ok").annual_cost_pence > 0
    text = format_variant_table(table)
    assert "nomix     not planned: no plan at all" in text


def test_compare_refuses_bad_variants_before_planning() -> None:
    calls: list[str] = []

    def planner(s: Scenario, m: TravelMatrix) -> Plan:
        calls.append(s.name)
        return _one_route_per_pupil(s, m)

    with pytest.raises(InvalidScenarioError, match="unknown pupil 'P9'"):
        compare_variants(_scenario(), _matrix, planner, ["ok=price_factor=2", "p=budget:P9"])
    assert calls == []


def test_variant_csv_and_chart(tmp_path: Path) -> None:
    table = compare_variants(_scenario(), _matrix, _one_route_per_pupil, ["-neg=price_factor=0.5"])
    csv_path = write_variant_csv(table, tmp_path / "variants.csv")
    with csv_path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["variant"] for r in rows] == ["current", "baseline", "'-neg"]  # formula-safe
    assert rows[2]["change_vs_baseline_pct"] == "-50.0"
    assert rows[1]["vehicles_taxi"] == "4"
    written = write_variant_outputs(table, tmp_path / "out")
    assert [p.name for p in written] == ["variants.csv", "variants.png", "variants.json"]
    assert '"variant": "-neg"' in written[2].read_text(encoding="utf-8")  # JSON is not a sheet
    png = write_variant_chart(table, tmp_path / "variants.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["variant"] for r in variant_rows(table)][2] == "-neg"


def test_compare_with_a_small_real_solve() -> None:
    from routing.pipeline import plan_scenario
    from routing.synthetic import great_circle_matrix, synthetic_scenario

    scenario = synthetic_scenario(8, 2, seed=5)
    params = SolveParams(time_limit_s=0.5, num_workers=1)
    pupil_id = scenario.pupils[0].pupil_id
    table = compare_variants(
        scenario,
        great_circle_matrix,
        lambda s, m: plan_scenario(s, m, params, runs=(Run.AM,)),
        [f"ptb=budget:{pupil_id}", "dear=price_factor=2"],
    )
    base, ptb, dear = table.rows
    assert not (base.error or ptb.error or dear.error)
    assert base.num_pupils == ptb.num_pupils == 8
    assert ptb.num_budget_pupils == 1 and ptb.budget_annual_pence > 0
    assert pupil_id not in {pid for r in table.plans["ptb"].routes for pid in r.pupil_ids()}
    assert dear.annual_cost_pence > base.annual_cost_pence
