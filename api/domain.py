"""The routing calls the API makes outside the worker, in one place.

Imports are inside the functions so the service starts (and says what is missing) while
the routing modules are still being written by others.
"""

from __future__ import annotations

from pathlib import Path

from routing.model import Scenario


def scenario_from_tables(tables: dict[str, bytes | str], name: str) -> Scenario:
    """Validate uploaded scenario files into a ``Scenario`` (raises InvalidScenarioError
    with every row-level issue at once)."""
    from routing.dataset import load_scenario_from_tables

    scenario: Scenario = load_scenario_from_tables(tables, name)
    return scenario


def scenario_from_folder(folder: Path) -> Scenario:
    """Read and validate a scenario folder (the format of data/README.md)."""
    from routing.dataset import load_scenario

    scenario: Scenario = load_scenario(folder)
    return scenario
