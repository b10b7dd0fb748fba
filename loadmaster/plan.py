"""The plan: every decision resolved, the one input the stacks are built from.

`make_plan` turns a validated portfolio into concrete pools, inference components and dedicated endpoints:
defaults filled in, framework images resolved, names fixed. What the user left to the planner
(`hosting: auto`, a pool without instance type or limits, a model without `per_copy`) is decided by
`loadmaster.planner`, which extends this module's objects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path

from loadmaster.catalog import Catalog, InstanceType, load_catalog
from loadmaster.errors import PortfolioError, Problem
from loadmaster.identity import IdentityLock, lock_path, read_lock, with_identities
from loadmaster.regions import INFERENCE_COMPONENT_TYPE, region_has_resource_type
from loadmaster.sticky import explained, kept_placements
from loadmaster.limits import (
    DEFAULT_BATCH_PERCENT,
    DEFAULT_BATCH_WAIT_S,
    DEFAULT_ROLLBACK_ERRORS_PER_MINUTE,
    DEFAULT_ROLLBACK_LATENCY_MS,
    DEFAULT_SCALE_IN_COOLDOWN_S,
    DEFAULT_SCALE_OUT_COOLDOWN_S,
)
from loadmaster.naming import SAGEMAKER_NAME_MAX
from loadmaster.planner.bill import Bill, Usage, plan_bill
from loadmaster.planner.cost import CostSummary
from loadmaster.planner.decide import ModelDecision, PlanningProblems, decide
from loadmaster.planner.packing import Placement
from loadmaster.planner.review import review
from loadmaster.planner.sizing import DEFAULT_TARGET_CONCURRENCY, Counts
from loadmaster.spec.base import FrameworkImage, ModelSpec, Network, Scaling
from loadmaster.spec.checks import portfolio_warnings
from loadmaster.spec.load import load_portfolio
from loadmaster.spec.schema import Portfolio


class ScalingMetric(Enum):
    """Portfolio metric names and the Application Auto Scaling predefined metric each stands for
    (botocore application-autoscaling service-2.json, MetricType)."""

    CONCURRENT_REQUESTS_PER_COPY = ("concurrent-requests-per-copy", "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution")
    INVOCATIONS_PER_COPY = ("invocations-per-copy", "SageMakerInferenceComponentInvocationsPerCopy")
    CONCURRENT_REQUESTS_PER_MODEL = ("concurrent-requests-per-model", "SageMakerVariantConcurrentRequestsPerModelHighResolution")
    INVOCATIONS_PER_INSTANCE = ("invocations-per-instance", "SageMakerVariantInvocationsPerInstance")

    @property
    def portfolio_name(self) -> str:
        return self.value[0]

    @property
    def predefined_metric_type(self) -> str:
        return self.value[1]

    @classmethod
    def named(cls, portfolio_name: str) -> "ScalingMetric":
        return next(metric for metric in cls if metric.portfolio_name == portfolio_name)


# Defaults when a model says nothing of scaling: the high-resolution concurrency metrics (`_scaling`) at
# DEFAULT_TARGET_CONCURRENCY, which lives in `loadmaster.planner.sizing` because copies are sized from it, with the
# cooldowns of loadmaster.limits.


@dataclass(frozen=True)
class ScalingPlan:
    metric: ScalingMetric
    target: float
    scale_in_cooldown_s: int
    scale_out_cooldown_s: int


@dataclass(frozen=True)
class Bounds:
    """How many copies (or instances) at least, at most, and at creation."""

    min: int
    max: int
    live: int | None = None  # what autoscaling reached in the account, when read before a deploy (loadmaster.capacity)

    @property
    def initial(self) -> int:
        """The count the template declares: the live one within the bounds, or the count to create with."""
        if self.live is not None:
            return min(max(self.live, self.min), self.max)
        # SageMaker rejects creating an inference component with CopyCount 0, and an endpoint needs an instance
        # to start (FACTS.md, "Scale to zero"): start at one and let autoscaling take it to zero.
        return max(self.min, 1)


@dataclass(frozen=True)
class DeploymentPlan:
    """How updates roll out (batches of copies or instances) and what rolls them back (alarms the constructs create)."""

    strategy: str = "rolling"
    batch_percent: int = DEFAULT_BATCH_PERCENT
    wait_s: int = DEFAULT_BATCH_WAIT_S
    rollback_errors_per_minute: int = DEFAULT_ROLLBACK_ERRORS_PER_MINUTE
    rollback_latency_ms: int = DEFAULT_ROLLBACK_LATENCY_MS


@dataclass(frozen=True)
class ContainerPlan:
    image: str
    artifact: str | None
    environment: dict[str, str]
    artifact_kms_key_arn: str | None = None  # the key the artifact is encrypted with in S3: the model's, else the portfolio's


@dataclass(frozen=True)
class ComponentPlan:
    """One model as an inference component on a pool."""

    model: str
    component_name: str
    container: ContainerPlan
    accelerators: int
    memory_mb: int
    cpu_cores: float | None
    copies: Bounds
    scaling: ScalingPlan | None
    model_download_timeout_s: int
    health_check_timeout_s: int
    # What the plan shows: copies at the floor, at mean and at peak traffic; why this hosting; what was derived.
    copy_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    generation: int = 1  # a later one is a new component beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it

    @property
    def scales_to_zero(self) -> bool:
        return self.copies.min == 0


@dataclass(frozen=True)
class PoolPlan:
    """A shared inference-component endpoint and the components placed on it."""

    name: str
    endpoint_name: str
    instance_type: InstanceType
    instances: Bounds
    routing: str
    components: tuple[ComponentPlan, ...]
    # What the plan shows: instances at the floor, at mean and at peak traffic, and which copies share each one.
    instance_counts: Counts | None = None
    placement: Placement = ()
    peak_placement: Placement = ()
    notes: tuple[str, ...] = ()
    network: Network | None = None
    ssm_access: bool = False
    generation: int = 1  # a later one is a new endpoint beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it


@dataclass(frozen=True)
class DedicatedPlan:
    """One model alone on its own endpoint."""

    model: str
    endpoint_name: str
    container: ContainerPlan
    instance_type: InstanceType
    instances: Bounds
    scaling: ScalingPlan | None
    instance_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    network: Network | None = None
    ssm_access: bool = False
    generation: int = 1  # a later one is a new endpoint beside the old one (loadmaster.identity)
    stack: str | None = None  # the stack it was deployed in, which it stays in; None: stacks.partition places it


@dataclass(frozen=True)
class Plan:
    name: str
    source: str
    region: str | None
    account: str | None
    tags: dict[str, str]
    pools: tuple[PoolPlan, ...]
    dedicated: tuple[DedicatedPlan, ...]
    notes: tuple[str, ...] = field(default=())
    cost: CostSummary | None = None
    bill: Bill | None = None  # the cost's parts, each with its price's source (loadmaster.planner.bill)
    kms_key_arn: str | None = None  # None: the stack creates a key where the instance type supports one
    identities: IdentityLock | None = None  # the names it deploys under, as `loadmaster lock` records them
    replaced: tuple[str, ...] = ()  # endpoints and components a deploy creates anew beside the locked ones
    # Stacks the lock names that hold nothing now: synthesized empty, so that a deploy deletes what they held.
    emptied_stacks: tuple[str, ...] = ()
    # Costly or risky but possible: printed on stderr by `validate`, `plan`, `synth` and app.py (errors.render_warnings).
    warnings: tuple[Problem, ...] = ()


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


def make_plan(portfolio: Portfolio, source: str, catalog: Catalog) -> Plan:
    catalog = planning_catalog(portfolio, source, catalog)
    problems: list[Problem] = []
    containers = {}
    for index, model in enumerate(portfolio.models):
        try:
            containers[model.name] = _container(model, portfolio.region, portfolio.artifact_kms_key_arn)
        except ValueError as error:
            problems.append(Problem(f"models[{index}] ({model.name}).image", str(error)))
    if problems:
        raise PortfolioError(source, problems)

    try:
        decisions = decide(portfolio, catalog)
    except PlanningProblems as error:
        raise PortfolioError(source, error.problems) from None
    problems = [
        Problem("name", f"too long for the planner's pool {pool.name}: the endpoint name {portfolio.name}-{pool.name} would pass {SAGEMAKER_NAME_MAX} characters")
        for pool in decisions.pools
        if len(f"{portfolio.name}-{pool.name}") > SAGEMAKER_NAME_MAX
    ]
    # Pools the planner adds and models it makes dedicated are named after themselves: no two endpoints may share one.
    endpoint_owners = [f"pool {pool.name}" for pool in decisions.pools] + [
        f"dedicated model {name}" for name, decision in decisions.models.items() if decision.pool is None
    ]
    for owner, count in Counter(owner.split(" ")[-1] for owner in endpoint_owners).items():
        if count > 1:
            clashing = " and ".join(each for each in endpoint_owners if each.split(" ")[-1] == owner)
            problems.append(Problem("models", f"{clashing} would both be the endpoint {portfolio.name}-{owner}: rename one"))
    problems += _inference_components_unavailable(portfolio, decisions)
    reviewed_problems, reviewed_warnings = review(portfolio, decisions, catalog)
    problems += reviewed_problems
    if problems:
        raise PortfolioError(source, problems)
    models = {model.name: model for model in portfolio.models}
    pool_specs = {pool.name: pool for pool in portfolio.pools}

    def components_of(pool: str) -> tuple[ComponentPlan, ...]:
        return tuple(
            _component(portfolio.name, models[name], containers[name], decision)
            for name, decision in decisions.models.items()
            if decision.pool == pool
        )

    pools = tuple(
        PoolPlan(
            name=pool.name,
            endpoint_name=f"{portfolio.name}-{pool.name}",
            instance_type=catalog[pool.instance_type],
            instances=Bounds(*pool.bounds),
            routing=pool.routing.upper().replace("-", "_"),
            components=components_of(pool.name),
            instance_counts=pool.instances,
            placement=pool.placement,
            peak_placement=pool.peak_placement,
            notes=pool.notes,
            network=pool_specs[pool.name].network if pool.name in pool_specs else None,
            ssm_access=pool_specs[pool.name].ssm_access if pool.name in pool_specs else False,
        )
        for pool in decisions.pools
    )
    dedicated = tuple(
        DedicatedPlan(
            model=name,
            endpoint_name=f"{portfolio.name}-{name}",
            container=containers[name],
            instance_type=catalog[decision.instance_type],
            instances=Bounds(*decision.bounds),
            scaling=_scaling(models[name], ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL),
            instance_counts=decision.counts,
            reasons=decision.reasons,
            notes=decision.notes,
            deployment=_deployment(models[name]),
            network=models[name].network,
            ssm_access=models[name].ssm_access,
        )
        for name, decision in decisions.models.items()
        if decision.pool is None
    )
    return Plan(
        name=portfolio.name,
        source=source,
        region=portfolio.region,
        account=portfolio.account,
        tags=dict(portfolio.tags),
        pools=pools,
        dedicated=dedicated,
        notes=decisions.notes,
        cost=decisions.cost,
        bill=_bill(portfolio, pools, dedicated, decisions.cost, catalog),
        kms_key_arn=portfolio.kms_key_arn,
        warnings=tuple(portfolio_warnings(portfolio, catalog) + reviewed_warnings),
    )


def _component(portfolio_name: str, model: ModelSpec, container: ContainerPlan, decision: ModelDecision) -> ComponentPlan:
    return ComponentPlan(
        model=model.name,
        component_name=f"{portfolio_name}-{model.name}",
        container=container,
        accelerators=decision.demand.accelerators,
        memory_mb=decision.demand.memory_mb,
        # A per_copy written without cpu_cores reserves none, and the template says nothing of CPU.
        cpu_cores=model.per_copy.cpu_cores if model.per_copy else decision.demand.cpu_cores,
        copies=Bounds(*decision.bounds),
        scaling=_scaling(model, ScalingMetric.CONCURRENT_REQUESTS_PER_COPY),
        model_download_timeout_s=model.startup.model_download_timeout_s,
        health_check_timeout_s=model.startup.health_check_timeout_s,
        copy_counts=decision.counts,
        reasons=decision.reasons,
        notes=decision.notes,
        deployment=_deployment(model),
    )


def _inference_components_unavailable(portfolio: Portfolio, decisions) -> list[Problem]:
    """Inference components where CloudFormation has no `AWS::SageMaker::InferenceComponent`: the region's resource
    provider schemas (as cfn-lint ships them, and as CDK's synthesis checks) lack the type in some regions, such as
    eu-west-3 and us-gov-west-1, and the stacks could not be synthesized or deployed there."""
    if portfolio.region is None or region_has_resource_type(portfolio.region, INFERENCE_COMPONENT_TYPE):
        return []
    index = {model.name: position for position, model in enumerate(portfolio.models)}
    return [
        Problem(f"models[{index[name]}] ({name}).hosting",
                f"an inference component on pool {decision.pool}, but CloudFormation in {portfolio.region} has no {INFERENCE_COMPONENT_TYPE} "
                "(its resource provider schemas): use hosting: dedicated, or another region")
        for name, decision in decisions.models.items() if decision.pool is not None
    ]


def _deployment(model: ModelSpec) -> DeploymentPlan:
    written = model.deployment
    return DeploymentPlan(
        strategy=written.strategy,
        batch_percent=written.batch_percent,
        wait_s=written.wait_s,
        rollback_errors_per_minute=written.rollback_errors_per_minute,
        rollback_latency_ms=written.rollback_latency_ms or model.latency_slo_ms or DEFAULT_ROLLBACK_LATENCY_MS,
    )


def _scaling(model: ModelSpec, default_metric: ScalingMetric) -> ScalingPlan | None:
    if model.scaling == "none":
        return None
    scaling = model.scaling if isinstance(model.scaling, Scaling) else None
    return ScalingPlan(
        metric=ScalingMetric.named(scaling.metric) if scaling else default_metric,
        target=scaling.target if scaling else DEFAULT_TARGET_CONCURRENCY,
        scale_in_cooldown_s=scaling.scale_in_cooldown_s if scaling else DEFAULT_SCALE_IN_COOLDOWN_S,
        scale_out_cooldown_s=scaling.scale_out_cooldown_s if scaling else DEFAULT_SCALE_OUT_COOLDOWN_S,
    )


def _bill(portfolio: Portfolio, pools: tuple[PoolPlan, ...], dedicated: tuple[DedicatedPlan, ...], cost: CostSummary, catalog: Catalog) -> Bill:
    """The plan's bill and the baseline's, counted from the same instances as `cost`; what runs all the time is each
    pool's and dedicated endpoint's floor, or its mean when every model on it is steady."""
    steady = {model.name for model in portfolio.models if model.traffic and model.traffic.pattern == "steady"}
    endpoints = [(pool.instance_type, pool.instance_counts, all(c.model in steady for c in pool.components) and bool(pool.components))
                 for pool in pools] + [(model.instance_type, model.instance_counts, model.model in steady) for model in dedicated]
    plan_usage = Usage(tuple((instance, counts.expected) for instance, counts, _ in endpoints),
                       tuple((instance, counts.peak) for instance, counts, _ in endpoints), tuple(portfolio.models),
                       cost.hourly_at_mean, cost.hourly_at_peak, portfolio.storage_gb)
    priced = [endpoint for endpoint in cost.baseline if endpoint.instance_type is not None]
    baseline_usage = Usage(tuple((catalog[endpoint.instance_type], endpoint.instances_at_mean) for endpoint in priced),
                           tuple((catalog[endpoint.instance_type], endpoint.instances_at_peak) for endpoint in priced), tuple(portfolio.models),
                           cost.baseline_hourly_at_mean, cost.baseline_hourly_at_peak, portfolio.storage_gb)
    always_on = tuple((instance, counts.expected if all_steady else counts.min) for instance, counts, all_steady in endpoints)
    basis = "; ".join(f"{count} x {instance.name} ({'steady: at mean' if all_steady else 'floor'})"
                      for (instance, _, all_steady), (_, count) in zip(endpoints, always_on) if count) or "nothing runs all the time"
    return plan_bill(plan_usage, baseline_usage, catalog, always_on, basis)


def _container(model: ModelSpec, region: str | None, portfolio_artifact_key: str | None) -> ContainerPlan:
    image = model.image if isinstance(model.image, str) else resolve_framework_image(model.image, region)
    artifact_key = (model.artifact_kms_key_arn or portfolio_artifact_key) if model.artifact else None
    return ContainerPlan(image=image, artifact=model.artifact, environment=dict(model.environment), artifact_kms_key_arn=artifact_key)


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
