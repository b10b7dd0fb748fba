"""Every decision the user left open, taken in one pass: hosting, per-copy compute, copy and instance counts,
pools and their instance types, and what it all costs. `loadmaster.plan.make_plan` turns the result into the plan.

What the user wrote is never changed: an explicit hosting, pool, instance type, per_copy, copies or instances is
taken as is, and where it keeps a model from its peak the plan carries a note instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.planner.cost import CostSummary, baseline_endpoint, hourly, lower_bound, price, unknown_prices_note
from loadmaster.planner.hosting import DEDICATED, INFERENCE_COMPONENT, HostingChoice, cheapest_alone, cheapest_share, choose_hosting, restated
from loadmaster.planner.packing import PEAK_WEIGHT, Packing, Placement, Unit, auto_pool_name, choose_pools, pack_pool
from loadmaster.planner.sizing import (
    WEIGHTS_OVERHEAD,
    Counts,
    Demand,
    accelerator_memory_needed_gib,
    capacity,
    demands_by_type,
    mean_is_stated,
    unit_counts,
)
from loadmaster.portfolio import ModelSpec, PoolSpec, Portfolio


@dataclass(frozen=True)
class ModelDecision:
    hosting: str
    reasons: tuple[str, ...]
    counts: Counts  # copies of an inference component, instances of a dedicated endpoint
    bounds: tuple[int, int]  # what autoscaling may reach: (min, max)
    pool: str | None
    instance_type: str | None  # a dedicated endpoint's
    demand: Demand | None  # per copy, on the pool's instance type
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PoolDecision:
    name: str
    instance_type: str
    instances: Counts
    bounds: tuple[int, int]
    routing: str
    placement: Placement  # at mean traffic
    peak_placement: Placement
    notes: tuple[str, ...]
    most_instances: int  # to hold every member at its copies.max at once (may pass a written instances.max)


@dataclass(frozen=True)
class Decisions:
    pools: tuple[PoolDecision, ...]
    models: dict[str, ModelDecision]
    cost: CostSummary
    notes: tuple[str, ...]


class PlanningProblems(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems))


@dataclass
class _Model:
    """A model while it is being decided."""

    spec: ModelSpec
    choice: HostingChoice
    demands: dict[str, Demand]  # on each instance type it may run on (one type when pinned)
    counts: Counts
    bounds: tuple[int, int]
    notes: list[str]

    def decided(self, pool: str | None, instance_type: str | None, demand: Demand | None, note: str | None) -> ModelDecision:
        notes = tuple(self.notes) + ((note,) if note else ())
        return ModelDecision(self.choice.hosting, self.choice.reasons, self.counts, self.bounds, pool, instance_type, demand, notes)

    def unit(self, only: str | None = None) -> Unit:
        demands = {only: self.demands[only]} if only else self.demands
        return Unit(self.spec.name, demands, self.counts, self.bounds[1])


def decide(portfolio: Portfolio, catalog: Catalog) -> Decisions:
    problems: list[Problem] = []
    models = [_first_look(f"models[{index}] ({spec.name})", spec, portfolio, catalog, problems) for index, spec in enumerate(portfolio.models)]
    if problems:
        raise PlanningProblems(problems)
    placed = [model for model in models if model.choice.hosting == INFERENCE_COMPONENT]
    pools = [_explicit_pool(index, pool, [m for m in placed if m.spec.pool == pool.name], catalog, problems)
             for index, pool in enumerate(portfolio.pools)]
    unplaced = [model for model in placed if model.spec.pool is None]
    if unplaced:
        by_name = {model.spec.name: model for model in unplaced}
        written = {pool.name for pool in portfolio.pools}
        for instance_type, units in choose_pools([model.unit() for model in unplaced], catalog).items():
            name = auto_pool_name(instance_type)
            if name in written:
                problems.append(Problem("pools", f"{name!r} is the name the planner gives its {instance_type} pool: rename your pool"))
            members = [by_name[unit.model] for unit in units]
            pools.append(_pool_decision(name, catalog[instance_type], members, None))
    if problems:
        raise PlanningProblems(problems)
    decided_pools = tuple(pool for pool, _ in pools if pool is not None)
    decisions = {model.spec.name: decision for pool, members in pools if pool for model, decision in members}
    for model in models:
        if model.choice.hosting == DEDICATED:
            decisions[model.spec.name] = _dedicated_decision(model, catalog)
    ordered = {model.spec.name: decisions[model.spec.name] for model in models}
    cost = _cost(decided_pools, ordered, models, catalog)
    ordered = _with_plan_costs_in_reasons(models, ordered, cost, decided_pools, catalog)
    notes = []
    if cost.unknown_prices:
        notes.append(unknown_prices_note(cost.unknown_prices))
    if cost.unpriced_baseline_models:
        notes.append(f"baseline unknown: no priced instance type of the same kind of accelerator holds a copy of "
                     f"{', '.join(cost.unpriced_baseline_models)}; set one under `prices:`")
    if cost.mean_not_stated:
        notes.append(f"no traffic to size from for {', '.join(cost.mean_not_stated)}: plan and baseline count each at its "
                     "floor at mean traffic, so the figures at mean are the cost at the floor for them")
    return Decisions(decided_pools, ordered, cost, tuple(notes))


def _first_look(where: str, spec: ModelSpec, portfolio: Portfolio, catalog: Catalog, problems: list[Problem]) -> _Model:
    """The model's per-copy demand on each type it may use, its hosting, and its counts."""
    pool = next((pool for pool in portfolio.pools if pool.name == spec.pool), None)
    pinned_type = pool.instance_type if pool else spec.instance_type
    demands = demands_by_type(spec, catalog, only=pinned_type)
    # A dedicated endpoint the user typed needs no per-copy demand: it takes whole instances.
    if not demands and spec.instance_type is None:
        problems.append(Problem(where, f"no instance type {'(' + pinned_type + ') ' if pinned_type else ''}holds one copy of this model"))
        return _Model(spec, HostingChoice(INFERENCE_COMPONENT, ()), {}, Counts(0, 0, 0), (0, 0), [])
    choice = choose_hosting(spec, demands, catalog)
    shared = choice.hosting == INFERENCE_COMPONENT
    explicit = spec.copies if shared else spec.instances
    counts, notes = unit_counts(spec, explicit, may_scale_to_zero=shared)
    bounds = (explicit.min, explicit.max) if explicit else (counts.min, counts.peak)
    return _Model(spec, choice, demands, counts, bounds, notes)


PoolWithMembers = tuple[PoolDecision | None, list[tuple[_Model, ModelDecision]]]


def _explicit_pool(index: int, pool: PoolSpec, members: list[_Model], catalog: Catalog, problems: list[Problem]) -> PoolWithMembers:
    """A pool the user wrote: as written, or on the cheapest instance type that holds every member at its peak."""
    where = f"pools[{index}] ({pool.name})"
    if pool.instance_type is not None:
        return _pool_decision(pool.name, catalog[pool.instance_type], members, pool)
    if not members:
        problems.append(Problem(f"{where}.instance_type", "no model is placed on this pool for the planner to size it from: set instance_type or remove the pool"))
        return None, []
    candidates = sorted(set.intersection(*(set(model.demands) for model in members)))
    options = [_pool_decision(pool.name, catalog[name], members, pool) for name in candidates]
    fitting = [option for option in options if pool.instances is None or option[0].instances.peak <= pool.instances.max]
    if not fitting:
        problems.append(Problem(f"{where}.instance_type", "no instance type holds every model of this pool at its peak within instances.max"))
        return None, []
    return min(fitting, key=lambda option: (_pool_cost(option[0], catalog), option[0].instance_type))


def _pool_cost(pool: PoolDecision, catalog: Catalog) -> float:
    return price(catalog, pool.instance_type) * (pool.instances.expected + PEAK_WEIGHT * pool.instances.peak)


def _pool_decision(name: str, instance: InstanceType, members: list[_Model], spec: PoolSpec | None) -> PoolWithMembers:
    packing: Packing = pack_pool([model.unit(instance.name) for model in members], instance)
    explicit = spec.instances if spec else None
    floor = explicit.min if explicit else 0
    instances = Counts(*(max(count, floor) for count in (packing.instances.min, packing.instances.expected, packing.instances.peak)))
    notes = []
    if explicit and packing.instances.peak > explicit.max:
        notes.append(f"peak traffic needs {packing.instances.peak} instances but instances.max is {explicit.max}")
    if spec is None or spec.instance_type is None:
        notes.append(f"instance type chosen by the planner: {instance.name}")
    pool = PoolDecision(
        name=name,
        instance_type=instance.name,
        instances=instances,
        bounds=(explicit.min, explicit.max) if explicit else (instances.min, max(packing.most_instances, 1)),
        routing=spec.routing if spec else PoolSpec.model_fields["routing"].default,
        placement=packing.at_expected,
        peak_placement=packing.at_peak,
        notes=tuple(notes),
        most_instances=packing.most_instances,
    )
    return pool, [(model, _component_decision(model, name, instance)) for model in members]


def _component_decision(model: _Model, pool: str, instance: InstanceType) -> ModelDecision:
    demand = model.demands[instance.name]
    derived = None
    if model.spec.per_copy is None:
        derived = (
            f"per_copy derived from size_gb {model.spec.size_gb:g}: {accelerator_memory_needed_gib(model.spec.size_gb):.1f} GiB of "
            f"accelerator memory (weights x {WEIGHTS_OVERHEAD}) -> {demand.accelerators} x {instance.usable_accelerator_memory_gib:.1f} GiB "
            f"(what a process is given of a {instance.accelerator_memory_gib} GB {instance.accelerator}), "
            f"{demand.memory_mb} MB host memory, {demand.cpu_cores:g} CPU cores"
        )
    return model.decided(pool=pool, instance_type=None, demand=demand, note=derived)


def _dedicated_decision(model: _Model, catalog: Catalog) -> ModelDecision:
    if model.spec.instance_type:
        return model.decided(pool=None, instance_type=model.spec.instance_type, demand=None, note=None)
    chosen = cheapest_alone(model.demands, catalog)
    return model.decided(pool=None, instance_type=chosen, demand=None, note=f"instance type chosen by the planner: {chosen}, the cheapest that holds one copy")


def _cost(pools: tuple[PoolDecision, ...], decisions: dict[str, ModelDecision], models: list[_Model], catalog: Catalog) -> CostSummary:
    def charges(level: str) -> list[tuple[str, int]]:
        return [(pool.instance_type, getattr(pool.instances, level)) for pool in pools] + [
            (decision.instance_type, getattr(decision.counts, level)) for decision in decisions.values() if decision.hosting == DEDICATED]

    used = sorted({name for name, _ in charges("peak")})
    return CostSummary(
        hourly_at_mean=hourly(charges("expected"), catalog),
        hourly_at_peak=hourly(charges("peak"), catalog),
        baseline=tuple(baseline_endpoint(model.spec, _plan_type(decisions[model.spec.name], pools, catalog), decisions[model.spec.name].counts, catalog)
                       for model in models),
        lower_bound_hourly=lower_bound([_bound_unit(model, decisions[model.spec.name], catalog) for model in models], catalog),
        unknown_prices=tuple(name for name in used if price(catalog, name) is None),
        mean_not_stated=tuple(model.spec.name for model in models if not mean_is_stated(model.spec)),
    )


def _plan_type(decision: ModelDecision, pools: tuple[PoolDecision, ...], catalog: Catalog) -> InstanceType:
    name = decision.instance_type or next(pool.instance_type for pool in pools if pool.name == decision.pool)
    return catalog[name]


def _with_plan_costs_in_reasons(models: list[_Model], decisions: dict[str, ModelDecision], cost: CostSummary,
                                pools: tuple[PoolDecision, ...], catalog: Catalog) -> dict[str, ModelDecision]:
    """The cost reason of each model whose hosting was weighed, computed from the plan: alone, its baseline endpoint's
    type (a dedicated model's own); shared, its pool's type (a dedicated model's cheapest share)."""
    baseline = {endpoint.model: endpoint for endpoint in cost.baseline}
    updated = {}
    for model in models:
        decision = decisions[model.spec.name]
        if not model.choice.weighed:
            updated[model.spec.name] = decision
            continue
        if decision.hosting == DEDICATED:
            alone, alone_price = decision.instance_type, price(catalog, decision.instance_type)
            shared = cheapest_share(model.demands, catalog)[0]
            demand = model.demands[shared]
        else:
            alone, alone_price = baseline[model.spec.name].instance_type, baseline[model.spec.name].price
            shared, demand = _plan_type(decision, pools, catalog).name, decision.demand
        share = demand.share_of(catalog[shared])
        pattern = model.spec.traffic.pattern if model.spec.traffic else None
        reasons = restated(model.choice, alone, alone_price, shared, price(catalog, shared) * share, share, pattern)
        updated[model.spec.name] = replace(decision, reasons=reasons)
    return updated


def _bound_unit(model: _Model, decision: ModelDecision, catalog: Catalog) -> Unit:
    """The model in the lower bound's LP: pinned types stay pinned; a dedicated endpoint the user wrote takes whole instances."""
    if decision.hosting == DEDICATED and model.spec.hosting == DEDICATED and model.spec.instance_type:
        whole = Demand(*capacity(catalog[model.spec.instance_type]))
        return Unit(model.spec.name, {model.spec.instance_type: whole}, model.counts, model.bounds[1])
    return model.unit()
