"""Every decision the user left open, taken in one pass: hosting, per-copy compute, copy and instance counts,
pools and their instance types, and what it all costs. `loadmaster.plan.make_plan` turns the result into the plan.

What the user wrote is never changed: an explicit hosting, pool, instance type, per_copy, copies or instances is
taken as is, and where it keeps a model from its peak the plan carries a note instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadmaster.catalog import NO_INFERENCE_COMPONENT_FAMILIES, Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.planner.cost import BaselineEndpoint, CostSummary, lower_bound, price
from loadmaster.planner.devices import Devices, model_devices
from loadmaster.planner.hosting import DEDICATED, INFERENCE_COMPONENT, HostingChoice, cheapest_alone, choose_hosting
from loadmaster.planner.packing import PEAK_WEIGHT, Packing, Placement, Unit, auto_pool_name, choose_pools, pack_pool
from loadmaster.planner.sizing import (
    HOST_MEMORY_OVERHEAD,
    WEIGHTS_OVERHEAD,
    Counts,
    Demand,
    accelerator_memory_needed_gib,
    capacity,
    demands_by_type,
    unit_counts,
)
from loadmaster.portfolio import MAX_COUNT, ModelSpec, PoolSpec, Portfolio


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
    devices: Devices
    choice: HostingChoice
    demands: dict[str, Demand]  # on each instance type it may run on (one type when pinned)
    shareable: dict[str, Demand]  # those the planner may give a pool: types reported to take inference components
    counts: Counts
    bounds: tuple[int, int]
    notes: list[str]

    def decided(self, pool: str | None, instance_type: str | None, demand: Demand | None, note: str | None) -> ModelDecision:
        notes = tuple(self.notes) + ((note,) if note else ())
        return ModelDecision(self.choice.hosting, self.choice.reasons, self.counts, self.bounds, pool, instance_type, demand, notes)

    def unit(self, demands: dict[str, Demand]) -> Unit:
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
        chosen = choose_pools([model.unit(model.shareable) for model in unplaced], catalog)
        if chosen is None:
            problems.append(Problem("models", "the planner found no way to share instances among the models without a pool "
                                    "within its solver limits: give some of them a pool or an instance type"))
        for instance_type, units in (chosen or {}).items():
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
    used = {pool.instance_type for pool in decided_pools} | {d.instance_type for d in ordered.values() if d.instance_type}
    unpriced = sorted(name for name in used if catalog[name].price_usd_per_hour is None)
    notes = tuple(f"{name} has no price in the catalog and counts as 0 USD/h: set it under `prices:`" for name in unpriced)
    return Decisions(decided_pools, ordered, _cost(decided_pools, ordered, models, catalog), notes)


def _first_look(where: str, spec: ModelSpec, portfolio: Portfolio, catalog: Catalog, problems: list[Problem]) -> _Model:
    """The model's hardware, its per-copy demand on each type it may use, its hosting, and its counts."""
    pool = next((pool for pool in portfolio.pools if pool.name == spec.pool), None)
    pinned_type = pool.instance_type if pool else spec.instance_type
    devices = model_devices(spec, catalog[pinned_type] if pinned_type else None)
    demands = demands_by_type(spec, catalog, only=pinned_type, devices=devices)
    shareable = demands if pool and pool.instance_type else {name: demand for name, demand in demands.items() if catalog[name].hosts_inference_components}
    unplanned = _Model(spec, devices, HostingChoice(INFERENCE_COMPONENT, ()), {}, {}, Counts(0, 0, 0), (0, 0), [])
    # A dedicated endpoint the user typed needs no per-copy demand: it takes whole instances.
    if not demands and spec.instance_type is None:
        field = "per_copy" if spec.per_copy else "size_gb"
        if pinned_type:
            problems.append(Problem(f"{where}.{field}", f"one copy does not fit {pinned_type}, the instance type of pool {pool.name}"))
        else:
            problems.append(Problem(f"{where}.{field}", f"no priced {' or '.join(devices.kinds)} instance type in the catalog holds one copy "
                                    f"(devices: {devices.reason})"))
        return unplanned
    choice = choose_hosting(spec, demands, catalog)
    shared = choice.hosting == INFERENCE_COMPONENT
    if shared and not shareable and pool is None:
        problems.append(Problem(f"{where}.hosting", f"an inference component, but no {' or '.join(devices.kinds)} instance type that holds a copy "
                                "takes inference components (families reported not to: " + ", ".join(sorted(NO_INFERENCE_COMPONENT_FAMILIES))
                                + "): name a pool with its instance_type, or use hosting: dedicated"))
        return unplanned
    explicit = spec.copies if shared else spec.instances
    counts, notes = unit_counts(spec, explicit, may_scale_to_zero=shared)
    if counts.peak > MAX_COUNT:
        unit = "copies" if shared else "instances"
        problems.append(Problem(f"{where}.traffic", f"peak traffic needs {counts.peak} {unit}, more than {MAX_COUNT}: raise the scaling target or set {unit}.max"))
        return unplanned
    if pinned_type is None and spec.devices is None:
        notes.append(f"runs on {', '.join(devices.kinds)}: {devices.reason} (set devices to choose)")
    bounds = (explicit.min, explicit.max) if explicit else (counts.min, counts.peak)
    return _Model(spec, devices, choice, demands, shareable, counts, bounds, notes)


PoolWithMembers = tuple[PoolDecision | None, list[tuple[_Model, ModelDecision]]]


def _explicit_pool(index: int, pool: PoolSpec, members: list[_Model], catalog: Catalog, problems: list[Problem]) -> PoolWithMembers:
    """A pool the user wrote: as written, or on the cheapest instance type that holds every member at its peak."""
    where = f"pools[{index}] ({pool.name})"
    if pool.instance_type is not None:
        return _pool_decision(pool.name, catalog[pool.instance_type], members, pool)
    if not members:
        problems.append(Problem(f"{where}.instance_type", "no model is placed on this pool for the planner to size it from: set instance_type or remove the pool"))
        return None, []
    candidates = sorted(set.intersection(*(set(model.shareable) for model in members)))
    if not candidates:
        problems.append(Problem(f"{where}.instance_type", "no instance type that takes inference components holds a copy of every model of this pool"))
        return None, []
    options = [_pool_decision(pool.name, catalog[name], members, pool) for name in candidates]
    fitting = [option for option in options if pool.instances is None or option[0].instances.peak <= pool.instances.max]
    if not fitting:
        problems.append(Problem(f"{where}.instance_type", "no instance type holds every model of this pool at its peak within instances.max"))
        return None, []
    return min(fitting, key=lambda option: (_pool_cost(option[0], catalog), option[0].instance_type))


def _pool_cost(pool: PoolDecision, catalog: Catalog) -> float:
    return price(catalog, pool.instance_type) * (pool.instances.expected + PEAK_WEIGHT * pool.instances.peak)


def _pool_decision(name: str, instance: InstanceType, members: list[_Model], spec: PoolSpec | None) -> PoolWithMembers:
    packing: Packing = pack_pool([model.unit({instance.name: model.demands[instance.name]}) for model in members], instance)
    explicit = spec.instances if spec else None
    floor = explicit.min if explicit else 0
    instances = Counts(*(max(count, floor) for count in (packing.instances.min, packing.instances.expected, packing.instances.peak)))
    notes = []
    if explicit and packing.instances.peak > explicit.max:
        notes.append(f"peak traffic needs {packing.instances.peak} instances but instances.max is {explicit.max}")
    if spec is None or spec.instance_type is None:
        notes.append(f"instance type chosen by the planner: {instance.name}")
    elif not instance.hosts_inference_components:
        notes.append(f"{instance.family} instances are reported not to take inference components (unverified): "
                     "if SageMaker refuses this endpoint, choose another instance type")
    pool = PoolDecision(
        name=name,
        instance_type=instance.name,
        instances=instances,
        bounds=(explicit.min, explicit.max) if explicit else (instances.min, max(packing.most_instances, 1)),
        routing=spec.routing if spec else PoolSpec.model_fields["routing"].default,
        placement=packing.at_expected,
        peak_placement=packing.at_peak,
        notes=tuple(notes),
    )
    return pool, [(model, _component_decision(model, name, instance)) for model in members]


def _component_decision(model: _Model, pool: str, instance: InstanceType) -> ModelDecision:
    demand = model.demands[instance.name]
    derived = None
    if model.spec.per_copy is None:
        weights = (f"{demand.memory_mb} MB host memory for the weights (x {HOST_MEMORY_OVERHEAD}), served on CPU"
                   if not demand.accelerators else
                   f"{accelerator_memory_needed_gib(model.spec.size_gb):.1f} GiB of accelerator memory (weights x {WEIGHTS_OVERHEAD}) -> "
                   f"{demand.accelerators} x {instance.accelerator_memory_gib} GiB, {demand.memory_mb} MB host memory")
        derived = f"per_copy derived from size_gb {model.spec.size_gb:g}: {weights}, {demand.cpu_cores:g} CPU cores"
    return model.decided(pool=pool, instance_type=None, demand=demand, note=derived)


def _dedicated_decision(model: _Model, catalog: Catalog) -> ModelDecision:
    if model.spec.instance_type:
        unsized = model.spec.size_gb is not None and not model.demands  # the sizing found no copy that fits it
        note = f"by the planner's sizing, a copy of size_gb {model.spec.size_gb:g} does not fit {model.spec.instance_type}: kept as written" if unsized else None
        return model.decided(pool=None, instance_type=model.spec.instance_type, demand=None, note=note)
    chosen = cheapest_alone(model.demands, catalog)
    return model.decided(pool=None, instance_type=chosen, demand=None, note=f"instance type chosen by the planner: {chosen}, the cheapest that holds one copy")


def _cost(pools: tuple[PoolDecision, ...], decisions: dict[str, ModelDecision], models: list[_Model], catalog: Catalog) -> CostSummary:
    def hourly(level: str) -> float:
        shared = sum(price(catalog, pool.instance_type) * getattr(pool.instances, level) for pool in pools)
        alone = sum(price(catalog, decision.instance_type) * getattr(decision.counts, level)
                    for decision in decisions.values() if decision.hosting == DEDICATED)
        return shared + alone

    return CostSummary(
        hourly=hourly("expected"),
        peak_hourly=hourly("peak"),
        baseline=tuple(_baseline(model, decisions[model.spec.name], catalog) for model in models),
        lower_bound_hourly=lower_bound([_bound_unit(model, decisions[model.spec.name], catalog) for model in models], catalog),
    )


def _baseline(model: _Model, decision: ModelDecision, catalog: Catalog) -> BaselineEndpoint:
    anywhere = demands_by_type(model.spec, catalog, devices=model.devices)
    instance_type = cheapest_alone(anywhere, catalog) if anywhere else decision.instance_type or next(iter(model.demands))
    instances = decision.counts.peak
    return BaselineEndpoint(model.spec.name, instance_type, instances, price(catalog, instance_type) * instances)


def _bound_unit(model: _Model, decision: ModelDecision, catalog: Catalog) -> Unit:
    """The model in the lower bound's LP: pinned types stay pinned; a dedicated endpoint on a type the user wrote
    takes whole instances (its copies may not even be sized for it: a dedicated model needs no per_copy)."""
    if decision.hosting == DEDICATED and model.spec.instance_type:
        whole = Demand(*capacity(catalog[model.spec.instance_type]))
        return Unit(model.spec.name, {model.spec.instance_type: whole}, model.counts, model.bounds[1])
    return model.unit(model.demands)
