"""The fan-outs on a real Ray instance give the local pool's plans (under a solution limit,
where a plan does not depend on when the search is cut off), and a sweep on Ray keeps its
error rows. One local Ray for the module (tests/ray_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ray_support import local_ray

from routing import executor
from routing.dataset import load_scenario
from routing.decompose import plan_run
from routing.executor import open_executor
from routing.model import Plan, Run, Scenario, SolveParams
from routing.network import build_travel_matrix
from routing.pipeline import compare_source_variants
from routing.sweep import read_manifest, run_sweep, sweep_rows

pytestmark = pytest.mark.xdist_group("ray")

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    yield from local_ray()


@pytest.fixture
def ray_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions handed to Ray (the real submit still runs), so a test
    knows the work went to Ray and not to the local pool."""
    calls: list[str] = []
    submit = executor._RayExecutor.submit

    def counting(self: Any, fn: Any, /, *args: Any) -> Any:
        calls.append(fn.__name__)
        return submit(self, fn, *args)

    monkeypatch.setattr(executor._RayExecutor, "submit", counting)
    return calls


def havering_slice() -> Scenario:
    """Havering's pupils of its 2nd-4th largest schools (246 pupils), no current routes."""
    scenario = load_scenario(DATA / "havering")
    counts: dict[str, int] = {}
    for p in scenario.pupils:
        counts[p.school_id] = counts.get(p.school_id, 0) + 1
    keep = set(sorted(counts, key=lambda s: (-counts[s], s))[1:4])
    pupils = tuple(p for p in scenario.pupils if p.school_id in keep)
    ids = {p.pupil_id for p in pupils}
    return replace(
        scenario,
        schools=tuple(s for s in scenario.schools if s.school_id in keep),
        pupils=pupils,
        incompatible_pairs=tuple(
            c for c in scenario.incompatible_pairs if {c.pupil_a, c.pupil_b} <= ids
        ),
        current_routes=(),
    )


def route_shapes(plan: Plan) -> list[tuple[str, str, tuple[tuple[str, ...], ...]]]:
    return [(r.route_id, r.vehicle_type, tuple(s.pupil_ids for s in r.stops)) for r in plan.routes]


@pytest.mark.parametrize(
    "name",
    [
        "rutland",  # real roads, 130 pupils in parts of 40
        "havering slice",  # approximate times, three schools (246 pupils)
    ],
)
def test_parts_on_ray_give_the_local_pools_plan_under_a_solution_limit(
    ray_instance: Any, ray_calls: list[str], name: str
) -> None:
    if name == "rutland":
        scenario, folder = load_scenario(DATA / "rutland"), DATA / "rutland"
    else:
        scenario, folder = havering_slice(), DATA / "havering"
    matrix = build_travel_matrix(scenario, folder)
    # A generous clock (the warm start has a deadline too) and few solutions: the work is
    # fixed, whatever the load of the machine.
    params = SolveParams(time_limit_s=3600, num_workers=2, max_part_requests=40, solution_limit=4)
    local = plan_run(scenario, matrix, Run.AM, params)
    on_ray = plan_run(scenario, matrix, Run.AM, replace(params, executor="ray"))
    assert ray_calls == ["_solve_bin", "_solve_bin"]
    assert len(local.routes) > 1
    assert route_shapes(on_ray) == route_shapes(local)
    assert on_ray.cost_pence == local.cost_pence
    assert on_ray.unassigned == local.unassigned


def test_compare_on_ray_gives_the_local_pools_table(
    ray_instance: Any, ray_calls: list[str]
) -> None:
    scenario = load_scenario(DATA / "rutland")
    params = SolveParams(time_limit_s=3600, max_part_requests=40, solution_limit=4)
    variants = ["ride60=ride_limit_primary_min=60,ride_limit_secondary_min=90"]
    tables = []
    for kind in ("local", "ray"):
        with open_executor(kind, max_workers=2) as pool:
            tables.append(
                compare_source_variants(
                    scenario, DATA / "rutland", params, variants, runs=(Run.AM,), executor=pool
                )
            )
    local, on_ray = tables
    assert ray_calls == ["plan_outcome", "plan_outcome"]
    assert [r.name for r in on_ray.rows] == ["current", "baseline", "ride60"]
    for a, b in zip(local.rows, on_ray.rows, strict=True):
        assert replace(a, solve_seconds=0) == replace(b, solve_seconds=0)


def test_a_sweep_on_ray_finishes_every_item_and_keeps_error_rows(
    ray_instance: Any, ray_calls: list[str], tmp_path: Path
) -> None:
    (tmp_path / "broken").mkdir()
    manifest = tmp_path / "sweep.toml"
    manifest.write_text(
        f'time_limit_s = 2\nruns = "AM"\nscenarios = ["{DATA / "rutland"}", "broken"]\n'
        '[[variant]]\nname = "ride60"\n'
        'overrides = "ride_limit_primary_min=60,ride_limit_secondary_min=90"\n',
        encoding="utf-8",
    )
    seen: list[str] = []
    rows = run_sweep(read_manifest(manifest).items, "ray", on_row=lambda r: seen.append(r.variant))
    assert ray_calls == ["plan_sweep_item"] * 4
    assert sorted(seen) == ["baseline", "baseline", "ride60", "ride60"]
    assert [(r.scenario, r.variant, bool(r.error)) for r in rows] == [
        ("rutland", "baseline", False),
        ("rutland", "ride60", False),
        ("broken", "baseline", True),
        ("broken", "ride60", True),
    ]
    assert "pupils.csv" in rows[2].error
    table = sweep_rows(rows)
    assert table[0]["annual_cost_gbp"] > 0  # type: ignore[operator]
    assert table[0]["saving_gbp"] != ""
    assert table[2]["annual_cost_gbp"] == ""
