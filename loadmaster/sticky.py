"""Planned placements that survive change: what the planner placed, it places there again.

A model whose portfolio entry leaves its placement to the planner (no `pool`, no `instance_type`: `hosting: auto`, or
an inference component without a pool) would otherwise be packed afresh on every plan, so that a traffic estimate
that changes moves it, and other models with it, to new endpoints whose names its clients do not call. The lock file
(loadmaster.identity) records where each model is deployed; before the planner runs, each such model is written
into the portfolio where the lock has it, as the user could have written it: its hosting (each pattern says where
the lock has a model of it: `HostingPattern.placement_in`) and its pool (the pool on its locked instance type,
re-sized for today's traffic) or its endpoint's instance type. The planner core
takes them as written; only their reasons say that they were kept, and how to re-plan (`plan --replan`).

A locked placement that can no longer hold the model (one copy no longer fits the instance type, the catalog no
longer has it, the region has no inference components, or the model's own fields now ask for the other hosting) is
not kept: that model alone is planned afresh, with the reason in its plan. Refusing instead would leave the user
one way out, `--replan`, which moves every model; the one model moving is what the change itself asks for.

Models the lock does not place (new ones, and those not kept) are planned among themselves first, as the planner
plans them without a lock, and then written where that plan puts them: one placed on the instance type of a kept
pool joins that pool (it grows to hold it), others get new pools. Written like that, no pool the planner names
collides with a kept one. Models the grouping step groups (loadmaster.planner.grouping) are not written in: grouped
again, their group keeps its name (what its members share), and so its locked endpoint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loadmaster.catalog import Catalog
from loadmaster.hostings.auto import pinned_hosting
from loadmaster.hostings.inference_component import PoolPlan, PoolSpec
from loadmaster.hostings.pattern import ALONE, NONE, POOL, LockedPlacement
from loadmaster.hostings.registry import PATTERNS
from loadmaster.identity import IdentityLock
from loadmaster.planner.decide import Decisions, PlanningProblems, decide
from loadmaster.planner.devices import model_devices
from loadmaster.planner.grouping import grouped
from loadmaster.planner.sizing import demands_by_type
from loadmaster.regions import INFERENCE_COMPONENT_TYPE, region_has_resource_type
from loadmaster.spec.base import ModelSpec
from loadmaster.spec.schema import Portfolio

if TYPE_CHECKING:
    from loadmaster.plan import Plan

REPLAN_HINT = "`loadmaster plan --replan` plans it afresh (and `-c replan=true` deploys that)"


@dataclass(frozen=True)
class Kept:
    """The portfolio with every planner placement written in, and the reasons the plan gives for them."""

    portfolio: Portfolio
    reasons: dict[str, tuple[str, ...]]  # by model written in: replace the planner's "written in the portfolio"
    not_kept: dict[str, str]  # by model: why the lock's placement was not kept, before the reasons of its new one
    pool_notes: dict[str, str]  # by kept pool


def kept_placements(portfolio: Portfolio, lock: IdentityLock, catalog: Catalog) -> Kept:
    """`portfolio` with the placements of `lock` written into the models the planner places (`catalog`: the one the
    plan is made with, the portfolio's prices and reserve applied)."""
    written_pools = {pool.name for pool in portfolio.pools}
    kept_pools: dict[str, str] = {}  # name -> instance type
    pinned: dict[str, ModelSpec] = {}
    reasons: dict[str, tuple[str, ...]] = {}
    not_kept: dict[str, str] = {}
    afresh: list[ModelSpec] = []
    for model in portfolio.models:
        if not _placed_by_planner(model):
            continue
        locked = _locked(lock, model.name)
        if locked is None or locked.pool in written_pools:
            afresh.append(model)  # new, or on a pool of the user's before
            continue
        refusal = _cannot_keep(model, locked, portfolio.region, catalog)
        if refusal:
            afresh.append(model)
            not_kept[model.name] = f"not kept where the lock has it ({locked}): {refusal}; planned afresh"
            continue
        if locked.pool is not None:
            kept_pools[locked.pool] = locked.instance_type
        pinned[model.name] = model.model_copy(update=locked.written())
        reasons[model.name] = (f"kept from the lock: {locked}, sized for today's traffic; {REPLAN_HINT}",)

    new_pools: dict[str, str] = {}
    if afresh and kept_pools:
        # A model the grouping step groups is left as written: planned with the others, it is grouped again (its
        # group named by what it shares, the lock keeps the group's endpoint), not pinned alone.
        grouped_again = grouped(portfolio.model_copy(update={"models": [pinned.get(model.name, model) for model in portfolio.models]}), catalog).members
        afresh = [model for model in afresh if model.name not in grouped_again]
        planned = _planned_alone(portfolio, afresh, catalog) if afresh else None
        for model in afresh if planned else ():
            decision = planned.models[model.name]
            if decision.pool in written_pools:
                continue  # the planner's name for the pool is taken: the plan of the whole says so
            instances = PATTERNS[decision.hosting].instances
            if instances == POOL:
                pool_type = next(pool.instance_type for pool in planned.pools if pool.name == decision.pool)
                pool = next((name for name, kept_type in kept_pools.items() if kept_type == pool_type), decision.pool)
                new_pools.setdefault(pool, pool_type)
                placement = LockedPlacement(decision.hosting, pool_type, pool)
            else:
                placement = LockedPlacement(decision.hosting, decision.instance_type if instances == ALONE else None)
            pinned[model.name] = model.model_copy(update=placement.written())
            reasons[model.name] = decision.reasons
    pools = [*portfolio.pools, *(PoolSpec(name=name, instance_type=instance_type) for name, instance_type in {**kept_pools, **new_pools}.items())]
    models = [pinned.get(model.name, model) for model in portfolio.models]
    notes = {name: f"kept from the lock on {instance_type}, re-sized for today's traffic; `loadmaster plan --replan` re-packs it"
             for name, instance_type in kept_pools.items()}
    return Kept(portfolio.model_copy(update={"pools": pools, "models": models}), reasons, not_kept, notes)


def _placed_by_planner(model: ModelSpec) -> bool:
    if model.hosting in PATTERNS and PATTERNS[model.hosting].instances == NONE:
        return False  # written so, it leaves the planner no instances to place
    return model.pool is None and model.instance_type is None


def _locked(lock: IdentityLock, model: str) -> LockedPlacement | None:
    """Where the lock has the model, asking each pattern in registry order."""
    return next((placement for pattern in PATTERNS.values() if (placement := pattern.placement_in(lock, model))), None)


def _cannot_keep(model: ModelSpec, locked: LockedPlacement, region: str | None, catalog: Catalog) -> str | None:
    """Why the locked placement can no longer hold the model, or None."""
    hosting = model.hosting if model.hosting != "auto" else pinned_hosting(model)
    if hosting is not None and hosting != locked.hosting:
        return f"the model's fields now ask for hosting {hosting}"
    if locked.instance_type is None:  # no instances of its own: nothing more to fit
        return None
    if locked.instance_type not in catalog:
        return "the instance catalog no longer has that type"
    if locked.pool and region is not None and not region_has_resource_type(region, INFERENCE_COMPONENT_TYPE):
        return f"CloudFormation in {region} has no {INFERENCE_COMPONENT_TYPE}"
    instance = catalog[locked.instance_type]
    devices = model_devices(model, instance)
    if instance.device not in devices.kinds:
        return f"its devices ({', '.join(devices.kinds)}) no longer include the {instance.device} of that type"
    if not demands_by_type(model, catalog, only=locked.instance_type, devices=devices):
        return "one copy no longer fits it"
    return None


def _planned_alone(portfolio: Portfolio, models: list[ModelSpec], catalog: Catalog) -> Decisions | None:
    """How the planner places `models` by themselves; None when it cannot (the plan of the whole then says why)."""
    try:
        return decide(portfolio.model_copy(update={"pools": [], "models": models}), catalog)
    except PlanningProblems:
        return None


def explained(plan: Plan, kept: Kept) -> Plan:
    """The plan with the reasons of the models the lock placed, and a note on each kept pool."""
    def reasons(model: str, planned: tuple[str, ...]) -> tuple[str, ...]:
        return ((kept.not_kept[model],) if model in kept.not_kept else ()) + kept.reasons.get(model, planned)

    def unit(unit):
        unit = unit.with_reasons(reasons)
        if isinstance(unit, PoolPlan) and unit.name in kept.pool_notes:
            return dataclasses.replace(unit, notes=unit.notes + (kept.pool_notes[unit.name],))
        return unit

    return dataclasses.replace(plan, units=tuple(map(unit, plan.units)))
