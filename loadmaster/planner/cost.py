"""What a plan costs per hour, against what one endpoint per model would cost, and how low any plan could go.

- *Plan*: the instances of every pool and dedicated endpoint, at mean traffic (`hourly`) and at peak (`peak_hourly`).
- *Baseline*: one dedicated endpoint per model on the cheapest instance type that holds one copy, provisioned
  for the model's peak, as Salesforce ran before inference components (FACTS.md, "The seeds' headline figures").
- *Lower bound*: the linear-programming relaxation of the packing at mean traffic. Fractional instances of any
  allowed type must cover every resource dimension of the expected copies, which may be split across types.
  Every plan that places those copies on whole instances is feasible for it, so no such plan costs less: a true
  bound. It keeps what the user pinned (a pool's or a dedicated endpoint's instance type) and relaxes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_array

from loadmaster.catalog import Catalog
from loadmaster.planner.packing import Unit
from loadmaster.planner.sizing import Demand, capacity


@dataclass(frozen=True)
class BaselineEndpoint:
    """One model's endpoint in the baseline: the cheapest type that holds a copy, one instance per copy at peak."""

    model: str
    instance_type: str
    instances: int
    hourly: float


@dataclass(frozen=True)
class CostSummary:
    hourly: float
    peak_hourly: float
    baseline: tuple[BaselineEndpoint, ...]
    lower_bound_hourly: float | None  # None: some model runs only on a type without a price, so nothing bounds the plan

    @property
    def baseline_hourly(self) -> float:
        return sum(endpoint.hourly for endpoint in self.baseline)

    @property
    def savings_ratio(self) -> float | None:
        """How many times cheaper the plan is than the baseline, at mean traffic (None when the plan costs nothing)."""
        return self.baseline_hourly / self.hourly if self.hourly else None


def price(catalog: Catalog, instance_type: str) -> float:
    # Unpriced types (ml.p5en in the shipped catalog) are refused as candidates; a user who pins one without
    # `prices:` sees it counted as free, and the plan says so.
    return catalog[instance_type].price_usd_per_hour or 0.0


def lower_bound(units: list[Unit], catalog: Catalog) -> float | None:
    """min sum(price_t * n_t) s.t. sum_t z_mt = expected copies of m; sum_m z_mt * demand_mtr <= n_t * capacity_tr.

    Types without a price take no part (a price made up for them would make the bound a guess); a unit that may run
    only on such types leaves the plan without a bound: None.
    """
    units = [Unit(unit.model, _priced(unit.demands, catalog), unit.copies, unit.most) for unit in units if unit.copies.expected > 0]
    if not all(unit.demands for unit in units):
        return None
    if not units:
        return 0.0
    types = sorted({name for unit in units for name in unit.demands})
    type_column = {name: index for index, name in enumerate(types)}
    split_columns = [(owner, name) for owner, unit in enumerate(units) for name in sorted(unit.demands)]
    first_split = len(types)
    size = first_split + len(split_columns)

    equality_rows, equality_cols, equality_values = [], [], []
    for column, (owner, _) in enumerate(split_columns, start=first_split):
        equality_rows.append(owner)
        equality_cols.append(column)
        equality_values.append(1.0)
    rows, cols, values = [], [], []
    row_of = {(name, dimension): index for index, (name, dimension) in enumerate((name, d) for name in types for d in range(3))}
    for name in types:
        for dimension, available in enumerate(capacity(catalog[name])):
            rows.append(row_of[name, dimension])
            cols.append(type_column[name])
            values.append(-available)
    for column, (owner, name) in enumerate(split_columns, start=first_split):
        for dimension, need in enumerate(units[owner].demands[name].vector()):
            if need:
                rows.append(row_of[name, dimension])
                cols.append(column)
                values.append(need)

    cost = np.zeros(size)
    cost[:first_split] = [price(catalog, name) for name in types]
    result = linprog(
        cost,
        A_ub=coo_array((values, (rows, cols)), shape=(len(row_of), size)).tocsr(),
        b_ub=np.zeros(len(row_of)),
        A_eq=coo_array((equality_values, (equality_rows, equality_cols)), shape=(len(units), size)).tocsr(),
        b_eq=np.array([float(unit.copies.expected) for unit in units]),
        bounds=(0, None),
        method="highs",
    )
    # Every unit has a type that holds a copy, and instances are unbounded: the LP is always feasible and bounded.
    # Anything else is a solver failure, which leaves the plan without a bound rather than without a plan.
    return float(result.fun) if result.status == 0 else None


def _priced(demands: dict[str, Demand], catalog: Catalog) -> dict[str, Demand]:
    return {name: demand for name, demand in demands.items() if catalog[name].price_usd_per_hour}
