"""What a plan can never do, or may not be allowed to, found once every pool, instance type and count is decided.

- A model whose written `copies.max` cannot fit its written pool even with nothing else on it, at the pool's written
  `instances.max`: an error, since autoscaling could never get there.
- A pool whose models, all at their maximum copies, need more instances than its written `instances.max`: a warning.
- Instance and endpoint counts beyond the account's SageMaker quotas (`loadmaster.limits`): warnings.
"""

from __future__ import annotations

import math

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import ALONE
from loadmaster.hostings.registry import PATTERNS
from loadmaster.limits import ENDPOINTS, INSTANCES, Quota, instances_of_type
from loadmaster.planner.decide import Decisions
from loadmaster.planner.sizing import Demand, capacity
from loadmaster.spec.schema import Portfolio

# A copy's demand and an instance's capacity are floats (CPU cores): 48 / 0.25 must count as 192 copies, not 191.
EPSILON = 1e-9


def review(portfolio: Portfolio, decisions: Decisions, catalog: Catalog) -> tuple[list[Problem], list[Problem]]:
    """The errors and the warnings."""
    errors = _copies_beyond_their_pool(portfolio, decisions, catalog)
    warnings = _maxima_beyond_their_pool(portfolio, decisions) + _quota_warnings(portfolio, decisions)
    return errors, warnings


def _copies_beyond_their_pool(portfolio: Portfolio, decisions: Decisions, catalog: Catalog) -> list[Problem]:
    written_pools = {pool.name: pool for pool in portfolio.pools if pool.instance_type and pool.instances}
    problems = []
    for index, model in enumerate(portfolio.models):
        pool = written_pools.get(model.pool or "")
        demand = decisions.models[model.name].demand
        if pool is None or model.copies is None or demand is None:
            continue
        instance = catalog[pool.instance_type]
        per_instance, scarcest = _copies_per_instance(demand, instance)
        if model.copies.max > per_instance * pool.instances.max:
            need, have = _described(scarcest, demand, instance)
            problems.append(Problem(
                f"models[{index}] ({model.name}).copies.max",
                f"copies.max {model.copies.max} cannot fit pool {pool.name} even with nothing else on it: one {instance.name} holds "
                f"{per_instance} {'copy' if per_instance == 1 else 'copies'} of {need} each ({have}), so instances.max "
                f"{pool.instances.max} holds at most {pool.instances.max} x {per_instance} = {pool.instances.max * per_instance}",
            ))
    return problems


def _copies_per_instance(demand: Demand, instance: InstanceType) -> tuple[int, int]:
    """How many copies one instance holds, and which resource (its index in `capacity`) runs out first: a copy never
    spans instances, so the count is the smallest whole number over the resources the copy needs."""
    counts = [(math.floor(have / need + EPSILON), dimension) for dimension, (need, have) in enumerate(zip(demand.vector(), capacity(instance))) if need]
    return min(counts)


def _described(dimension: int, demand: Demand, instance: InstanceType) -> tuple[str, str]:
    """What a copy needs of one resource and what the instance has of it: ("1 accelerator", "4 GPUs")."""
    need, have = demand.vector()[dimension], capacity(instance)[dimension]
    if dimension == 0:
        return f"{need:g} accelerator{'' if need == 1 else 's'}", instance.describe_accelerators()
    if dimension == 1:
        return f"{need:g} MB", f"{have:g} MB of memory for copies"
    return f"{need:g} CPU cores", f"{have:g} vCPUs for copies"


def _maxima_beyond_their_pool(portfolio: Portfolio, decisions: Decisions) -> list[Problem]:
    written = {pool.name: index for index, pool in enumerate(portfolio.pools) if pool.instances}
    warnings = []
    for pool in decisions.pools:
        if pool.name not in written or pool.most_instances <= pool.bounds[1]:
            continue
        maxima = ", ".join(f"{name} {decision.bounds[1]}" for name, decision in decisions.models.items() if decision.pool == pool.name)
        warnings.append(Problem(
            f"pools[{written[pool.name]}] ({pool.name}).instances.max",
            f"its models at their maximum copies ({maxima}) need {pool.most_instances} {pool.instance_type} instances as the planner "
            f"packs them, but instances.max is {pool.bounds[1]}: autoscaling stops before they all reach their maximum",
        ))
    return warnings


def _quota_warnings(portfolio: Portfolio, decisions: Decisions) -> list[Problem]:
    """Each endpoint at its instances.max, against the per-type, total-instance and endpoint quotas."""
    endpoints = [(f"pool {pool.name}", pool.instance_type, pool.bounds[1]) for pool in decisions.pools] + [
        (name, decision.instance_type, decision.bounds[1]) for name, decision in decisions.models.items() if PATTERNS[decision.hosting].instances == ALONE
    ]
    by_type: dict[str, list[tuple[str, int]]] = {}
    for owner, instance_type, most in endpoints:
        by_type.setdefault(instance_type, []).append((owner, most))
    warnings = [
        warning
        for instance_type, owners in sorted(by_type.items())
        for warning in _instances_beyond(instances_of_type(instance_type), f"{instance_type} instances", owners, portfolio.quotas)
    ]
    warnings += _instances_beyond(INSTANCES, "instances", [(owner, most) for owner, _, most in endpoints], portfolio.quotas)
    warnings += _beyond(ENDPOINTS, len(endpoints), f"{len(endpoints)} endpoints", portfolio.quotas)
    return warnings


def _instances_beyond(quota: Quota, what: str, counts: list[tuple[str, int]], quotas: dict[str, int]) -> list[Problem]:
    total = sum(count for _, count in counts)
    shares = ", ".join(f"{owner} {count}" for owner, count in counts)
    return _beyond(quota, total, f"up to {total} {what} at instances.max ({shares})", quotas)


def _beyond(quota: Quota, total: int, counted: str, quotas: dict[str, int]) -> list[Problem]:
    stated = quotas.get(quota.key)
    if total <= (quota.warn_above if stated is None else stated):
        return []
    if stated is None:
        message = (f"{counted}: more than {quota.warn_above}, loadmaster's threshold for the account's quota '{quota.name}' "
                   "(not an AWS figure); a deploy or scale-out past the quota fails, so check it in Service Quotas and write its value here")
    else:
        message = (f"{counted}: more than this account's quota '{quota.name}', {stated}; a deploy or scale-out past it fails "
                   "(every endpoint in the account and region counts): raise it in Service Quotas first")
    return [Problem(f"quotas.{quota.key}", message)]
