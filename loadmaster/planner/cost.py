"""What a plan costs per hour, against what one endpoint per model would cost, and how low any plan could go.

- *Plan*: the instances of every pool and dedicated endpoint, at mean traffic and at peak traffic.
- *Baseline*: one dedicated endpoint per model, as Salesforce ran them before inference components (FACTS.md,
  "The seeds' headline figures"): on the cheapest priced instance type that holds one copy, with the same kind of
  accelerator as the plan's type and the model's accelerator memory, one instance per copy, provisioned for the
  same traffic as the plan figure it is compared with (a dedicated endpoint keeps at least one instance).
  Plan and baseline are compared like with like: at mean traffic, and at peak traffic.
- *Lower bound*: the linear-programming relaxation of the packing at mean traffic. Fractional instances of any
  allowed type must cover every resource dimension of the expected copies, which may be split across types.
  Every plan that places those copies on whole instances is feasible for it, so no such plan costs less: a true
  bound. It keeps what the user pinned (a pool's or a dedicated endpoint's instance type) and relaxes the rest.

A price the catalog lacks is never counted as zero: a cost that needs it is unknown (None), the summary names the
instance types, and no ratio is computed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.planner.sizing import (
    Counts,
    Demand,
    accelerator_memory_needed_gib,
    accelerators_needed,
    capacity,
    derived_cpu_demand,
    derived_demand,
)
from loadmaster.spec.base import ModelSpec

if TYPE_CHECKING:  # the packer (SciPy) is not needed to read a cost
    from loadmaster.planner.bill import Meter
    from loadmaster.planner.packing import Unit

@dataclass(frozen=True)
class BaselineEndpoint:
    """One model's endpoint in the baseline: one instance per copy, at mean and at peak traffic."""

    model: str
    instance_type: str | None  # None: no priced instance type of the plan's accelerator kind holds one copy
    price: float | None
    instances_at_mean: int
    instances_at_peak: int

    @property
    def hourly_at_mean(self) -> float | None:
        return None if self.price is None else self.price * self.instances_at_mean

    @property
    def hourly_at_peak(self) -> float | None:
        return None if self.price is None else self.price * self.instances_at_peak


@dataclass(frozen=True)
class UsageCost:
    """A model billed by use rather than by instance (a serverless endpoint, say): the same in the plan and in the
    baseline, where it is already one endpoint of its own. `meter` is the bill's part it is counted in."""

    model: str
    hourly_at_mean: float
    hourly_at_peak: float
    meter: Meter


@dataclass(frozen=True)
class CostSummary:
    hourly_at_mean: float | None  # None: the plan uses an instance type without a price (`unknown_prices`)
    hourly_at_peak: float | None
    baseline: tuple[BaselineEndpoint, ...]
    lower_bound_hourly: float | None  # None: some model runs only on a type without a price, so nothing bounds the plan
    unknown_prices: tuple[str, ...] = ()  # instance types the plan uses that have no price
    mean_not_stated: tuple[str, ...] = ()  # models counted at their floor at "mean" for want of traffic
    usage: tuple[UsageCost, ...] = ()  # in `hourly_at_mean` and `_at_peak` too

    @property
    def usage_hourly_at_mean(self) -> float:
        return sum(cost.hourly_at_mean for cost in self.usage)

    @property
    def usage_hourly_at_peak(self) -> float:
        return sum(cost.hourly_at_peak for cost in self.usage)

    @property
    def baseline_hourly_at_mean(self) -> float | None:
        return _total([endpoint.hourly_at_mean for endpoint in self.baseline] + [self.usage_hourly_at_mean])

    @property
    def baseline_hourly_at_peak(self) -> float | None:
        return _total([endpoint.hourly_at_peak for endpoint in self.baseline] + [self.usage_hourly_at_peak])

    @property
    def savings_ratio_at_mean(self) -> float | None:
        """How many times cheaper the plan is than the baseline, both at mean traffic."""
        return _ratio(self.baseline_hourly_at_mean, self.hourly_at_mean)

    @property
    def savings_ratio_at_peak(self) -> float | None:
        """How many times cheaper the plan is than the baseline, both at peak traffic."""
        return _ratio(self.baseline_hourly_at_peak, self.hourly_at_peak)

    @property
    def unpriced_baseline_models(self) -> tuple[str, ...]:
        return tuple(endpoint.model for endpoint in self.baseline if endpoint.price is None)


def _total(costs: Iterable[float | None]) -> float | None:
    costs = list(costs)
    return None if any(cost is None for cost in costs) else sum(costs)


def _ratio(baseline: float | None, plan: float | None) -> float | None:
    return baseline / plan if baseline is not None and plan else None


def price(catalog: Catalog, instance_type: str) -> float | None:
    """The hourly price, or None when the catalog has none (ml.p5en in the shipped one): never zero."""
    return catalog[instance_type].price_usd_per_hour


def hourly(charges: list[tuple[str, int]], catalog: Catalog) -> float | None:
    """What (instance type, instances) pairs cost per hour; None when an instance type in use has no price."""
    costs = []
    for name, count in charges:
        if count:
            each = price(catalog, name)
            costs.append(None if each is None else each * count)
    return _total(costs)


def unknown_prices_note(names: tuple[str, ...]) -> str:
    listed = ", ".join(names)
    example = ", ".join(f"{name}: <USD per hour>" for name in names)
    return (f"cost unknown: {listed} {'has' if len(names) == 1 else 'have'} no price in the catalog, and a missing price "
            f"is never counted as free; set it in the portfolio, `prices: {{{example}}}`, or refresh the catalog (`loadmaster catalog refresh`)")


def baseline_endpoint(model: ModelSpec, plan_type: InstanceType, counts: Counts, catalog: Catalog) -> BaselineEndpoint:
    """The model alone on the cheapest priced instance type that holds one copy (ties: by name)."""
    holding = [(instance.price_usd_per_hour, name) for name, instance in catalog.instance_types.items()
               if instance.price_usd_per_hour is not None and baseline_demand(model, plan_type, instance) is not None]
    at_mean, at_peak = (max(1, count) for count in (counts.expected, counts.peak))  # an endpoint keeps an instance
    if not holding:
        return BaselineEndpoint(model.name, None, None, at_mean, at_peak)
    cheapest_price, cheapest = min(holding)
    return BaselineEndpoint(model.name, cheapest, cheapest_price, at_mean, at_peak)


def baseline_demand(model: ModelSpec, plan_type: InstanceType, instance: InstanceType) -> Demand | None:
    """One copy alone on `instance`, or None where it cannot be the model's baseline: another kind of accelerator
    than the plan's type (a Neuron-compiled model does not run on a GPU), too little accelerator memory, or no fit."""
    if instance.accelerator_kind != plan_type.accelerator_kind:
        return None
    if model.per_copy is None and model.size_gb is not None:
        return derived_demand(model.size_gb, instance) if instance.accelerators else derived_cpu_demand(model.size_gb, instance)
    needed_gib = accelerator_memory_of(model, plan_type)
    devices = accelerators_needed(needed_gib, instance) if needed_gib and instance.accelerators else 0
    if model.per_copy is None:  # a dedicated endpoint written with an instance type only: it takes whole instances
        demand = Demand(devices, 0, 0.0)
    else:
        demand = Demand(devices, model.per_copy.memory_mb, model.per_copy.cpu_cores or 0.0)
    return demand if demand.fits(instance) else None


def accelerator_memory_of(model: ModelSpec, plan_type: InstanceType) -> float:
    """GiB of accelerator memory a copy must have: its weights with their overhead, or what it reserves on the plan's
    type (its per-copy accelerators, or the whole instance of a dedicated endpoint written without them)."""
    if model.size_gb is not None:
        return accelerator_memory_needed_gib(model.size_gb)
    devices = model.per_copy.accelerators if model.per_copy else plan_type.accelerators
    return devices * plan_type.usable_accelerator_memory_gib


def lower_bound(units: list[Unit], catalog: Catalog) -> float | None:
    """min sum(price_t * n_t) s.t. sum_t z_mt = expected copies of m; sum_m z_mt * demand_mtr <= n_t * capacity_tr.

    Types without a price take no part (a price made up for them would make the bound a guess); a unit that may run
    only on such types leaves the plan without a bound: None.
    """
    # Imported here, where it runs: reading a plan's cost (this module's CostSummary) must not load SciPy.
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_array

    units = [replace(unit, demands=_priced(unit.demands, catalog)) for unit in units if unit.copies.expected > 0]
    if not all(unit.demands for unit in units):
        return None
    if not units:
        return 0.0
    types = sorted({name for unit in units for name in unit.demands})
    prices = [price(catalog, name) for name in types]
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
    cost[:first_split] = prices
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
