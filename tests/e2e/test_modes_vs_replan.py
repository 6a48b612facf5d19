"""schoolrun modes against re-planning: the "place on the route" saving of 20 sampled
Rutland pupils agrees with re-planning their routes without them (median within 10%).

Slow: about 80 small solves. scripts/modes_vs_replan.py runs the same check on any plan
(Havering's figure is in docs/finance.md).
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path

import pytest

from routing.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_place_savings_agree_with_replanning(tmp_path: Path) -> None:
    path = ROOT / "scripts" / "modes_vs_replan.py"
    spec = importlib.util.spec_from_file_location("modes_vs_replan", path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules["modes_vs_replan"] = script  # its dataclass looks its module up
    spec.loader.exec_module(script)
    scenario = ROOT / "data" / "rutland"
    out = tmp_path / "plan"
    assert main(["plan", str(scenario), "--time-limit", "10", "--out", str(out), "--quiet"]) == 0
    rows = script.compare(scenario, out, sample=20, seed=0, limit_s=2.0)
    assert len(rows) == 20
    assert statistics.median(a.relative for a in rows) <= 0.10
