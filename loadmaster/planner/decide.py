"""Every decision the user left open, taken in one pass: hosting, per-copy compute, copy and instance counts,
pools and their instance types, and what it all costs. `loadmaster.planner.make` turns the result into the plan,
each hosting pattern its own units (`loadmaster.hostings`).

What the user wrote is never changed: an explicit hosting, pool, instance type, per_copy, copies or instances is
taken as is, and where it keeps a model from its peak the plan carries a note instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from loadmaster.catalog import NO_INFERENCE_COMPONENT_FAMILIES, Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.planner.cost import BaselineEndpoint, CostSummary, baseline_endpoint, hourly, lower_bound, price, unknown_prices_note
from loadmaster.planner.devices import Devices, model_devices
from loadmaster.hostings import dedicated, inference_component
from loadmaster.hostings.auto import HostingChoice, NoHostingFits, choose_hosting, restated
from loadmaster.hostings.dedicated import cheapest_alone
from loadmaster.hostings.inference_component import cheapest_share
from loadmaster.hostings.pattern import ALONE, NONE, POOL
from loadmaster.hostings.registry import PATTERNS
from loadmaster.planner.packing import PEAK_WEIGHT, Packing, Placement, Unit, auto_pool_name, choose_pools, pack_pool
from loadmaster.planner.sizing import (
    HOST_MEMORY_OVERHEAD,
    WEIGHTS_OVERHEAD,
    Counts,
    Demand,
    accelerator_memory_needed_gib,
    capacity,
    demands_by_type,
    mean_is_stated,
    unit_counts,
)
from loadmaster.hostings.inference_component import PoolSpec
from loadmaster.limits import MAX_COUNT
from loadmaster.regions import INFERENCE_COMPONENT_TYPE, region_has_resource_type
from loadmaster.spec.base import ModelSpec
from loadmaster.spec.schema import Portfolio


@dataclass(frozen=True)
class ModelDecision:
    hosting: str  # the pattern's name (`loadmaster.hostings.registry`)
    reasons: tuple[str, ...]
    counts: Counts  # copies of an inference component, instances of a dedicated endpoint
    bounds: tuple[int, int]  # what autoscaling may reach: (min, max)
    pool: str | None  # an inference component's
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
    placed = [model for model in models if _takes(model.choice.hosting, POOL)]
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
            pool = _pool_decision(name, catalog[instance_type], members, None)
            alone = _cheaper_alone(members, pool[0], catalog)
            if alone is None:
                pools.append(pool)
            else:  # weighed as sharing, but no other model shares its instances
                models[models.index(members[0])] = alone
    if problems:
        raise PlanningProblems(problems)
    decided_pools = tuple(pool for pool, _ in pools if pool is not None)
    decisions = {model.spec.name: decision for pool, members in pools if pool for model, decision in members}
    for model in models:
        if _takes(model.choice.hosting, ALONE):
            decisions[model.spec.name] = _alone_decision(model, catalog)
        elif _takes(model.choice.hosting, NONE):  # no instances to decide
            decisions[model.spec.name] = model.decided(pool=None, instance_type=None, demand=None, note=None)
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
    """The model's hardware, its per-copy demand on each type it may use, its hosting, and its counts."""
    pool = next((pool for pool in portfolio.pools if pool.name == spec.pool), None)
    pinned_type = pool.instance_type if pool else spec.instance_type
    devices = model_devices(spec, catalog[pinned_type] if pinned_type else None)
    if _takes(spec.hosting, NONE):  # no instances: nothing to size, count or pack
        return _Model(spec, devices, HostingChoice(spec.hosting, ("written in the portfolio",)), {}, {}, Counts(0, 0, 0), (0, 0), [])
    demands = demands_by_type(spec, catalog, only=pinned_type, devices=devices)
    shareable = demands if pool and pool.instance_type else {name: demand for name, demand in demands.items() if catalog[name].hosts_inference_components}
    unplanned = _Model(spec, devices, HostingChoice(inference_component.HOSTING, ()), {}, {}, Counts(0, 0, 0), (0, 0), [])
    # A dedicated endpoint the user typed needs no per-copy demand: it takes whole instances.
    if not demands and spec.instance_type is None:
        field = "per_copy" if spec.per_copy else "size_gb"
        if pinned_type:
            problems.append(Problem(f"{where}.{field}", f"one copy does not fit {pinned_type}, the instance type of pool {pool.name}"))
        else:
            problems.append(Problem(f"{where}.{field}", f"no priced {' or '.join(devices.kinds)} instance type in the catalog holds one copy "
                                    f"(devices: {devices.reason})"))
        return unplanned
    try:
        choice = choose_hosting(spec, demands, catalog)
    except NoHostingFits as refused:
        problems.append(Problem(f"{where}.request", str(refused)))
        return unplanned
    if choice.weighed and not _components_in(portfolio.region):
        choice = HostingChoice(dedicated.HOSTING, choice.reasons[:-1] + (
            f"chosen: {dedicated.HOSTING}, CloudFormation in {portfolio.region} has no {INFERENCE_COMPONENT_TYPE}",))
    shared = _takes(choice.hosting, POOL)
    if shared and not shareable and pool is None:
        problems.append(Problem(f"{where}.hosting", f"an inference component, but no {' or '.join(devices.kinds)} instance type that holds a copy "
                                "takes inference components (families reported not to: " + ", ".join(sorted(NO_INFERENCE_COMPONENT_FAMILIES))
                                + "): name a pool with its instance_type, or use hosting: dedicated"))
        return unplanned
    explicit = spec.copies if shared else spec.instances
    own_counts = PATTERNS[choice.hosting].instance_counts
    if own_counts is not None:  # the pattern counts its instances itself (async: from 0, requests wait in the queue)
        counts, bounds, notes = own_counts(spec)
        return _Model(spec, devices, choice, demands, shareable, counts, bounds, notes)
    counts, notes = unit_counts(spec, explicit, may_scale_to_zero=shared)
    if counts.peak > MAX_COUNT:
        unit = "copies" if shared else "instances"
        problems.append(Problem(f"{where}.traffic", f"peak traffic needs {counts.peak} {unit}, more than {MAX_COUNT}: raise the scaling target or set {unit}.max"))
        return unplanned
    if pinned_type is None and spec.devices is None:
        notes.append(f"runs on {', '.join(devices.kinds)}: {devices.reason} (set devices to choose)")
    bounds = (explicit.min, explicit.max) if explicit else (counts.min, counts.peak)
    return _Model(spec, devices, choice, demands, shareable, counts, bounds, notes)


def _cheaper_alone(members: list[_Model], pool: PoolDecision, catalog: Catalog) -> _Model | None:
    """A model the fitness functions weighed as sharing instances, alone in its pool after all: as a dedicated endpoint,
    when its cheapest type alone costs less at mean traffic than the pool's whole instances (a small CPU model on one
    ml.c5.large instead of a pool of one ml.c7i.xlarge, say)."""
    (model,) = members if len(members) == 1 else (None,)
    if model is None or not model.choice.weighed:
        return None
    alone = cheapest_alone(model.demands, catalog)
    counts, notes = unit_counts(model.spec, None, may_scale_to_zero=False)
    pool_hourly, alone_hourly = price(catalog, pool.instance_type) * pool.instances.expected, price(catalog, alone) * counts.expected
    if alone_hourly >= pool_hourly:
        return None
    chosen = (f"chosen: {dedicated.HOSTING}, no other model shares its pool: {counts.expected} x {alone} alone cost {alone_hourly:.3f} USD/h at mean, "
              f"its pool's {pool.instances.expected} x {pool.instance_type} {pool_hourly:.3f}")
    choice = HostingChoice(dedicated.HOSTING, model.choice.reasons[:-1] + (chosen,))
    return replace(model, choice=choice, counts=counts, bounds=(counts.min, counts.peak), notes=model.notes + notes)


def _components_in(region: str | None) -> bool:
    """Whether inference components can be deployed in the portfolio's region (loadmaster.regions)."""
    return region is None or region_has_resource_type(region, INFERENCE_COMPONENT_TYPE)


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
        most_instances=packing.most_instances,
    )
    return pool, [(model, _component_decision(model, name, instance)) for model in members]


def _component_decision(model: _Model, pool: str, instance: InstanceType) -> ModelDecision:
    demand = model.demands[instance.name]
    derived = None
    if model.spec.per_copy is None:
        weights = (f"{demand.memory_mb} MB host memory for the weights (x {HOST_MEMORY_OVERHEAD}), served on CPU"
                   if not demand.accelerators else
                   f"{accelerator_memory_needed_gib(model.spec.size_gb):.1f} GiB of accelerator memory (weights x {WEIGHTS_OVERHEAD}) -> "
                   f"{demand.accelerators} x {instance.usable_accelerator_memory_gib:.1f} GiB (what a process is given of a "
                   f"{instance.accelerator_memory_gib:g} GB {instance.accelerator}), {demand.memory_mb} MB host memory")
        derived = f"per_copy derived from size_gb {model.spec.size_gb:g}: {weights}, {demand.cpu_cores:g} CPU cores"
    return model.decided(pool=pool, instance_type=None, demand=demand, note=derived)


def _takes(hosting: str, instances: str) -> bool:
    """Whether the pattern `hosting` (a registered one, or `auto`, which takes none of them) takes `instances`."""
    return hosting in PATTERNS and PATTERNS[hosting].instances == instances


def _billed_by_use(hosting: str) -> bool:
    """Whether the pattern bills by use (`cost_by_use`) instead of by the hour of its instances."""
    return PATTERNS[hosting].cost_by_use is not None


def _alone_decision(model: _Model, catalog: Catalog) -> ModelDecision:
    if model.spec.instance_type:
        unsized = model.spec.size_gb is not None and not model.demands  # the sizing found no copy that fits it
        note = f"by the planner's sizing, a copy of size_gb {model.spec.size_gb:g} does not fit {model.spec.instance_type}: kept as written" if unsized else None
        return model.decided(pool=None, instance_type=model.spec.instance_type, demand=None, note=note)
    chosen = cheapest_alone(model.demands, catalog)
    return model.decided(pool=None, instance_type=chosen, demand=None, note=f"instance type chosen by the planner: {chosen}, the cheapest that holds one copy")


def _cost(pools: tuple[PoolDecision, ...], decisions: dict[str, ModelDecision], models: list[_Model], catalog: Catalog) -> CostSummary:
    def charges(level: str) -> list[tuple[str, int]]:
        return [(pool.instance_type, getattr(pool.instances, level)) for pool in pools] + [
            (decision.instance_type, getattr(decision.counts, level)) for decision in decisions.values()
            if _takes(decision.hosting, ALONE) and not _billed_by_use(decision.hosting)]

    used = sorted({name for name, _ in charges("peak")})
    on_instances = [model for model in models if not _billed_by_use(decisions[model.spec.name].hosting)]
    usage = tuple(PATTERNS[decisions[model.spec.name].hosting].cost_by_use(model.spec, catalog) for model in models if model not in on_instances)
    at_mean, at_peak, bound = hourly(charges("expected"), catalog), hourly(charges("peak"), catalog), lower_bound(
        [_bound_unit(model, decisions[model.spec.name], catalog) for model in on_instances], catalog)
    return CostSummary(
        hourly_at_mean=None if at_mean is None else at_mean + sum(cost.hourly_at_mean for cost in usage),
        hourly_at_peak=None if at_peak is None else at_peak + sum(cost.hourly_at_peak for cost in usage),
        baseline=tuple(endpoint for model in on_instances for endpoint in _baseline(model.spec, decisions[model.spec.name], pools, catalog)),
        lower_bound_hourly=None if bound is None else bound + sum(cost.hourly_at_mean for cost in usage),
        unknown_prices=tuple(name for name in used if price(catalog, name) is None),
        mean_not_stated=tuple(model.spec.name for model in models if not (PATTERNS[decisions[model.spec.name].hosting].mean_is_stated or mean_is_stated)(model.spec)),
        usage=usage,
    )


def _baseline(spec: ModelSpec, decision: ModelDecision, pools: tuple[PoolDecision, ...], catalog: Catalog) -> tuple[BaselineEndpoint, ...]:
    """The endpoints the baseline compares the model with: its pattern's (`HostingPattern.baseline`), else one."""
    plan_type, own = _plan_type(decision, pools, catalog), PATTERNS[decision.hosting].baseline
    return own(spec, plan_type) if own else (baseline_endpoint(spec, plan_type, decision.counts, catalog),)


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
        if not model.choice.weighed or _billed_by_use(decision.hosting):  # its cost is by use, as weighed
            updated[model.spec.name] = decision
            continue
        if decision.hosting == dedicated.HOSTING:
            alone, alone_price = decision.instance_type, price(catalog, decision.instance_type)
            shared = cheapest_share(model.demands, catalog)[0]  # weighed: it has a share
            demand = model.demands[shared]
        else:
            alone, alone_price = baseline[model.spec.name].instance_type, baseline[model.spec.name].price
            shared, demand = _plan_type(decision, pools, catalog).name, decision.demand
        if alone_price is None or price(catalog, shared) is None:  # an unknown price: the weighed reasons stand
            updated[model.spec.name] = decision
            continue
        share = demand.share_of(catalog[shared])
        pattern = model.spec.traffic.pattern if model.spec.traffic else None
        # The patterns billed by use offer the same as weighed: no instance type of the plan changes their cost.
        offers = [dedicated.offer(alone, alone_price), inference_component.offer(shared, price(catalog, shared) * share, share)] + [
            by_use.candidate(model.spec, model.demands, catalog) for by_use in PATTERNS.values() if by_use.cost_by_use is not None]
        reasons = restated(model.choice, offers, pattern)
        updated[model.spec.name] = replace(decision, reasons=reasons)
    return updated


def _bound_unit(model: _Model, decision: ModelDecision, catalog: Catalog) -> Unit:
    """The model in the lower bound's LP: pinned types stay pinned; a dedicated endpoint on a type the user wrote
    takes whole instances (its copies may not even be sized for it: a dedicated model needs no per_copy)."""
    if _takes(decision.hosting, ALONE) and model.spec.instance_type:
        whole = Demand(*capacity(catalog[model.spec.instance_type]))
        return Unit(model.spec.name, {model.spec.instance_type: whole}, model.counts, model.bounds[1])
    return model.unit(model.demands)
