"""Finance what-ifs: plan the baseline and each variant, and set them side by side.

One concern per module, imported one way (each imports only those above it):

- :mod:`~routing.variants.overrides`: the language, ``NAME=OVERRIDE[,OVERRIDE...]``
  parsed into a :class:`Variant` (the grammar is in that module's docstring);
- :mod:`~routing.variants.apply`: a variant applied to a scenario (:func:`apply_variant`);
- :mod:`~routing.variants.budgets`: personal transport budgets (:func:`personal_budgets`);
- :mod:`~routing.variants.compare`: each variant planned (by an injected planner: the
  pipeline's) and priced into a :class:`VariantTable` (:func:`compare_variants`);
- :mod:`~routing.variants.output`: the table as rows, CSV, chart, text and JSON.

The CLI and the API's worker reach it through :func:`routing.pipeline.compare_scenario_variants`.
"""

from routing.variants.apply import apply_variant, read_price_list
from routing.variants.budgets import PersonalBudget, personal_budgets
from routing.variants.compare import (
    MatrixBuilder,
    Planner,
    VariantResult,
    VariantTable,
    compare_variants,
    plan_outcome,
    variant_result,
)
from routing.variants.output import (
    format_variant_table,
    variant_rows,
    variant_table_to_dict,
    write_variant_chart,
    write_variant_csv,
    write_variant_outputs,
)
from routing.variants.overrides import (
    BASELINE_NAME,
    CURRENT_NAME,
    RESERVED_NAMES,
    Override,
    OverrideKind,
    Variant,
    describe_variant,
    parse_variant,
    parse_variants,
)

__all__ = [
    "BASELINE_NAME",
    "CURRENT_NAME",
    "RESERVED_NAMES",
    "MatrixBuilder",
    "Override",
    "OverrideKind",
    "PersonalBudget",
    "Planner",
    "Variant",
    "VariantResult",
    "VariantTable",
    "apply_variant",
    "compare_variants",
    "describe_variant",
    "format_variant_table",
    "parse_variant",
    "parse_variants",
    "personal_budgets",
    "plan_outcome",
    "read_price_list",
    "variant_result",
    "variant_rows",
    "variant_table_to_dict",
    "write_variant_chart",
    "write_variant_csv",
    "write_variant_outputs",
]
