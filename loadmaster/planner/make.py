"""Making a plan from a portfolio: containers resolved, every open decision taken (`decide`), each hosting pattern's
units built from those decisions (`loadmaster.hostings.registry`), checked, costed and named.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

from loadmaster.catalog import Catalog, load_catalog
from loadmaster.errors import PortfolioError, Problem
from loadmaster.hostings.pattern import PlanningContext
from loadmaster.hostings.registry import PATTERNS
from loadmaster.identity import IdentityLock, lock_path, read_lock, with_identities
from loadmaster.plan import ContainerDefinition, Plan, PlanUnit
from loadmaster.planner.bill import Bill, Usage, plan_bill
from loadmaster.planner.cost import CostSummary
from loadmaster.planner.decide import PlanningProblems, decide
from loadmaster.planner.grouping import grouped
from loadmaster.planner.review import review
from loadmaster.sticky import explained, kept_placements
from loadmaster.spec.base import FrameworkImage, ModelSpec
from loadmaster.spec.checks import portfolio_warnings
from loadmaster.spec.load import load_portfolio
from loadmaster.spec.schema import Portfolio

# `plan_file`'s default: the identities of the lock file beside the portfolio (loadmaster.identity).
LOCK_BESIDE_PORTFOLIO = object()


def plan_file(path: str | Path, catalog: Catalog | None = None, previous: IdentityLock | None | object = LOCK_BESIDE_PORTFOLIO,
              replan: bool = False) -> Plan:
    """Validate a portfolio file and plan it after what was deployed before (`previous`, by default the lock file
    beside it): named after it, and with what the planner placed kept there unless `replan` (loadmaster.sticky).
    The one code path of `app.py` and the CLI."""
    catalog = catalog or load_catalog()
    portfolio = load_portfolio(path, catalog)
    if previous is LOCK_BESIDE_PORTFOLIO:
        previous = read_lock(lock_path(path))
    if isinstance(previous, IdentityLock) and previous.portfolio == portfolio.name and not replan:
        kept = kept_placements(portfolio, previous, planning_catalog(portfolio, str(path), catalog))
        plan = explained(make_plan(kept.portfolio, str(path), catalog), kept)
    else:
        plan = make_plan(portfolio, str(path), catalog)
    plan, _ = with_identities(plan, previous)  # type: ignore[arg-type]
    return plan


def planning_catalog(portfolio: Portfolio, source: str, catalog: Catalog) -> Catalog:
    """The catalog with the portfolio's own prices and reserve: what the portfolio is planned against."""
    catalog = catalog.with_prices(portfolio.prices, source=f"{source}: prices") if portfolio.prices else catalog
    return catalog.with_reserve(portfolio.reserve)


def make_plan(written: Portfolio, source: str, catalog: Catalog) -> Plan:
    catalog = planning_catalog(written, source, catalog)
    # `auto` models the patterns that serve several group, each group one model of its pattern (loadmaster.planner.grouping).
    grouping = grouped(written, catalog)
    portfolio = grouping.portfolio
    containers = _containers(portfolio, source)
    try:
        decisions = decide(portfolio, catalog)
    except PlanningProblems as error:
        raise PortfolioError(source, error.problems) from None
    units, problems = _units(PlanningContext(portfolio, decisions, containers, catalog, grouping.groups))
    units = grouping.explained(units)
    problems += _shared_endpoint_names(portfolio.name, units)
    reviewed_problems, reviewed_warnings = review(portfolio, decisions, catalog)
    problems += reviewed_problems
    if problems:
        raise PortfolioError(source, problems)
    return Plan(
        name=portfolio.name,
        source=source,
        region=portfolio.region,
        account=portfolio.account,
        tags=dict(portfolio.tags),
        units=units,
        notes=decisions.notes,
        cost=decisions.cost,
        bill=_bill(portfolio, units, decisions.cost, catalog),
        kms_key_arn=portfolio.kms_key_arn,
        warnings=tuple(portfolio_warnings(written, catalog) + reviewed_warnings),
    )


def _containers(portfolio: Portfolio, source: str) -> dict[str, ContainerDefinition]:
    """Each model's container, its framework image resolved; every image that cannot be is named at once."""
    problems: list[Problem] = []
    containers = {}
    for index, model in enumerate(portfolio.models):
        if model.image is None:  # a model of several containers: its pattern reads them (loadmaster.spec.containers)
            continue
        try:
            containers[model.name] = _container(model, portfolio.region, portfolio.artifact_kms_key_arn)
        except ValueError as error:
            problems.append(Problem(f"models[{index}] ({model.name}).image", str(error)))
    if problems:
        raise PortfolioError(source, problems)
    return containers


def _units(context: PlanningContext) -> tuple[tuple[PlanUnit, ...], list[Problem]]:
    """Every pattern's units, in registry order, and what each pattern found wrong."""
    units: list[PlanUnit] = []
    problems: list[Problem] = []
    for pattern in PATTERNS.values():
        built, found = pattern.plan_units(context)
        units += built
        problems += found
    return tuple(units), problems


def _shared_endpoint_names(portfolio: str, units: tuple[PlanUnit, ...]) -> list[Problem]:
    """Pools the planner adds and models it makes dedicated are named after themselves: no two endpoints may share one."""
    owners = [(unit.endpoint_name, unit.label) for unit in units]
    return [Problem("models", f"{' and '.join(label for each, label in owners if each == name)} would both be the endpoint {name}: rename one")
            for name, count in Counter(name for name, _ in owners).items() if count > 1]


def _bill(portfolio: Portfolio, units: tuple[PlanUnit, ...], cost: CostSummary, catalog: Catalog) -> Bill:
    """The plan's bill and the baseline's, counted from the same instances as `cost`; what runs all the time is each
    endpoint's floor, or its mean when every model on it is steady."""
    steady = {model.name for model in portfolio.models if model.traffic and model.traffic.pattern == "steady"}
    endpoints = [(charge.instance_type, charge.counts, bool(unit.models) and all(model in steady for model in unit.models))
                 for unit in units for charge in unit.charges()]
    plan_usage = Usage(tuple((instance, counts.expected) for instance, counts, _ in endpoints),
                       tuple((instance, counts.peak) for instance, counts, _ in endpoints), tuple(portfolio.models),
                       _less(cost.hourly_at_mean, cost.usage_hourly_at_mean), _less(cost.hourly_at_peak, cost.usage_hourly_at_peak),
                       portfolio.storage_gb, cost.usage)
    priced = [endpoint for endpoint in cost.baseline if endpoint.instance_type is not None]
    baseline_usage = Usage(tuple((catalog[endpoint.instance_type], endpoint.instances_at_mean) for endpoint in priced),
                           tuple((catalog[endpoint.instance_type], endpoint.instances_at_peak) for endpoint in priced), tuple(portfolio.models),
                           _less(cost.baseline_hourly_at_mean, cost.usage_hourly_at_mean), _less(cost.baseline_hourly_at_peak, cost.usage_hourly_at_peak),
                           portfolio.storage_gb, cost.usage)
    always_on = tuple((instance, counts.expected if all_steady else counts.min) for instance, counts, all_steady in endpoints)
    basis = "; ".join(f"{count} x {instance.name} ({'steady: at mean' if all_steady else 'floor'})"
                      for (instance, _, all_steady), (_, count) in zip(endpoints, always_on) if count) or "nothing runs all the time"
    return plan_bill(plan_usage, baseline_usage, catalog, always_on, basis)


def _less(total: float | None, by_use: float) -> float | None:
    """The instances' share of a cost that includes what is billed by use (its own part of the bill)."""
    return None if total is None else total - by_use


def _container(model: ModelSpec, region: str | None, portfolio_artifact_key: str | None) -> ContainerDefinition:
    image = model.image if isinstance(model.image, str) else resolve_framework_image(model.image, region)
    artifact_key = (model.artifact_kms_key_arn or portfolio_artifact_key) if model.artifact else None
    return ContainerDefinition(image=image, artifact=model.artifact, environment=dict(model.environment), artifact_kms_key_arn=artifact_key)


@cache
def resolve_framework_image(image: FrameworkImage, region: str) -> str:
    """The Deep Learning Container URI, resolved offline by the SageMaker Python SDK (`sagemaker-core`)."""
    from sagemaker.core import image_uris  # about 3 s to import: only when a portfolio names a framework

    try:
        return image_uris.retrieve(image.framework, region=region, version=image.version)
    except FileNotFoundError:  # the SDK opens image_uri_config/<framework>.json
        raise ValueError(f"the SageMaker Python SDK knows no framework {image.framework!r} (such as djl-lmi, huggingface-llm, pytorch)") from None
    except (ValueError, KeyError) as error:
        raise ValueError(f"the SageMaker Python SDK cannot resolve {image.framework} {image.version} in {region}: {error}") from None
