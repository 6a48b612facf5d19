"""Read, validate and write a scenario folder (the format is documented in data/README.md).

Modules, imports pointing down the list: columns (file names, columns, policy keys,
ranges), cells (decoding, CSV rows, cell parsers recording issues), rows (the per-file
validators), policy_file (policy.toml and [network]), tables (load_scenario and
load_scenario_from_tables), writing (write_scenario).
"""

from routing.dataset.columns import OPTIONAL_FILES, REQUIRED_FILES, SCENARIO_FILES
from routing.dataset.tables import load_scenario, load_scenario_from_tables
from routing.dataset.writing import write_scenario

__all__ = [
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "SCENARIO_FILES",
    "load_scenario",
    "load_scenario_from_tables",
    "write_scenario",
]
