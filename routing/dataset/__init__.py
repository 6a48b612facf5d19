"""Read, validate and write a scenario folder (the format is documented in data/README.md)."""

from routing.dataset.tables import (
    OPTIONAL_FILES,
    REQUIRED_FILES,
    SCENARIO_FILES,
    load_scenario,
    load_scenario_from_tables,
    write_scenario,
)

__all__ = [
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "SCENARIO_FILES",
    "load_scenario",
    "load_scenario_from_tables",
    "write_scenario",
]
