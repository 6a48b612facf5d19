"""Shared by the hostile-cell property tests: scripts/mutate_scenarios.py as a module, and a
hypothesis strategy of one-cell mutations of a shipped scenario."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]


def mutate_script() -> ModuleType:
    path = REPO / "scripts" / "mutate_scenarios.py"
    spec = importlib.util.spec_from_file_location("mutate_scenarios", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def hostile_values(script: ModuleType) -> st.SearchStrategy[str]:
    """The script's list, and numbers and text hypothesis makes up."""
    return st.one_of(
        st.sampled_from(script.HOSTILE),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**40), 10**40).map(str),
        st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
        st.text(max_size=12),
    )


def mutations(script: ModuleType, tables: dict[str, str]) -> st.SearchStrategy[object]:
    """One cell of the tables and a hostile value for it."""
    return st.builds(
        lambda cell, value: script.Mutation(*cell, value),
        st.sampled_from(script.cells(tables)),
        hostile_values(script),
    )
