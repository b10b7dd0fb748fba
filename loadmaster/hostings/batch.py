"""A model run as a batch transform: no endpoint; on a schedule (EventBridge Scheduler) or on each new object under
its input prefix, a Step Functions state machine runs a SageMaker transform job over the inputs and waits for it.

The model is one container (`image`) or a serial inference pipeline (`containers:`, as `hosting: pipeline` writes
them, loadmaster.spec.containers): each record goes through the containers in order, as on a pipeline's endpoint.

Nothing runs between runs: it is billed per instance for the time each run takes (loadmaster.batch_transform),
counted here per month from the runs its schedule makes. Fit for offline scoring (traffic pattern `batch`): inputs
that wait in S3 for results written to S3, no caller waiting on a request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from loadmaster.batch_transform import RunTime, Schedule, TransformCost, run_time, transform_cost, transform_problems
from loadmaster.catalog import HOURS_PER_MONTH, Catalog
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import NONE, Candidate, HostingPattern, PlanningContext
from loadmaster.async_inference import Request
from loadmaster.limits import MAX_CONTAINERS_PER_MODEL, MIN_PIPELINE_CONTAINERS, TRANSFORM_INVOCATION_TIMEOUT_RANGE_S, TRANSFORM_JOB_NAME_MAX, TRANSFORM_JOB_SUFFIX_CHARS, TRANSFORM_MAX_PAYLOAD_RANGE_MB
from loadmaster.plan import ContainerDefinition
from loadmaster.planner.bill import SAGEMAKER_PRICING, Meter, PriceSource
from loadmaster.planner.cost import UsageCost
from loadmaster.planner.sizing import Demand
from loadmaster.spec.base import HOSTING_DESCRIPTION, FrameworkImage, ModelSpec, Spec, unknown_instance_type
from loadmaster.spec.containers import ContainerSpec, PipelineContainers, container_definitions, containers_problems

NAME = HOSTING = "batch"
# A transform scales nothing: its instances are fixed for a run.
SCALING_LEVELS = 0
_S3_PREFIX = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(?:[^/*]+/)*$"
DEFAULT_TIMEOUT_HOURS = 24


class BatchConfig(Spec):
    """What a transform runs over, when, on what, and how long a run takes."""

    input: str = Field(pattern=_S3_PREFIX, description="The inputs' prefix, s3://bucket/prefix/ (ending in /): every object under it is transformed.")
    output: str | None = Field(default=None, pattern=_S3_PREFIX, description=(
        "Where results go, s3://bucket/prefix/: each run's under PREFIX<job name>/. Default: a bucket the stack creates (KMS, SSL only, access-logged, kept)."))
    schedule: str | None = Field(default=None, description=(
        "When it runs: an EventBridge Scheduler cron(minutes hours day-of-month month day-of-week year) or rate(value unit) expression. "
        "Default: none (on_new_objects, or runs started by hand)."))
    time_zone: str = Field(default="UTC", description="The IANA time zone the schedule is read in. Default: UTC.")
    on_new_objects: bool = Field(default=False, description=(
        "Run on each object created under the input prefix, over that object (the bucket must send its events to EventBridge). Default: false."))
    runs_per_month: float | None = Field(default=None, gt=0, description=(
        "Runs a month, for the cost, where no schedule says it (on_new_objects, or by hand). Default: the schedule's."))
    instance_type: str = Field(description="A batch transform instance type (botocore's TransformInstanceType), such as ml.m5.xlarge.")
    instance_count: int = Field(default=1, ge=1, description="Instances a run uses. Default: 1.")
    max_concurrent_transforms: int | None = Field(default=None, ge=0, description="Requests in parallel per instance (0: SageMaker asks the container). Default: SageMaker's, 1.")
    max_payload_mb: int | None = Field(default=None, ge=TRANSFORM_MAX_PAYLOAD_RANGE_MB[0], le=TRANSFORM_MAX_PAYLOAD_RANGE_MB[1], description=(
        "One request's payload, 0 to 100 MB (0: chunked), and with max_concurrent_transforms their product at most 100. Default: SageMaker's, 6."))
    batch_strategy: Literal["MultiRecord", "SingleRecord"] | None = Field(default=None, description=(
        "MultiRecord: as many records a request as max_payload_mb holds; SingleRecord: one. Needs split_type. Default: SageMaker's."))
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] = Field(default="None", description="How objects are cut into records. Default: None (one request an object).")
    content_type: str | None = Field(default=None, description="The inputs' MIME type, such as text/csv. Default: unset.")
    accept: str | None = Field(default=None, description="The results' MIME type. Default: unset.")
    assemble_with: Literal["None", "Line"] | None = Field(default=None, description="Line: a split object's results joined line by line. Default: None.")
    run_hours: float | None = Field(default=None, gt=0, description="How long a run takes, for the cost. Default: records x record_processing_s / (instances x concurrency).")
    records: int | None = Field(default=None, ge=1, description="Records a run transforms, for the cost's run time (with record_processing_s).")
    record_processing_s: float | None = Field(default=None, gt=0, description="Seconds a record takes, for the cost's run time (with records).")
    timeout_hours: float = Field(default=DEFAULT_TIMEOUT_HOURS, gt=0, le=8760, description=(
        f"A run stops (and its job with it) past this. Default: {DEFAULT_TIMEOUT_HOURS}."))

    @property
    def trigger_schedule(self) -> Schedule | None:
        return Schedule(self.schedule, self.time_zone) if self.schedule else None


class BatchFields(ModelSpec):
    """The key only a batch transform has (an `auto` model may write it too: it decides its hosting)."""

    batch: BatchConfig | None = Field(default=None, description="The transform: its input, schedule or trigger, instances and run time.")


class BatchModel(BatchFields):
    """A model run as a batch transform over an S3 prefix, on a schedule or on new objects: one container, or a
    serial inference pipeline of several."""

    hosting: Literal["batch"] = Field(description=HOSTING_DESCRIPTION)
    batch: BatchConfig = Field(description="The transform: its input, schedule or trigger, instances and run time.")  # type: ignore[assignment]
    image: str | FrameworkImage | None = Field(default=None, description=(  # type: ignore[assignment]
        "The transform's container: an Amazon ECR image URI in the portfolio's region, or {framework, version} resolved offline. "
        "Required unless containers: (a serial pipeline) is given instead."))
    containers: PipelineContainers | None = Field(default=None, description=(
        f"Instead of image, artifact and environment: a serial inference pipeline's containers, {MIN_PIPELINE_CONTAINERS} to {MAX_CONTAINERS_PER_MODEL}, "
        "in the order each record goes through them (as hosting: pipeline writes them). Default: none (the model's one image)."))
    # The other hostings' keys, which a transform does not have.
    scaling: ClassVar[None] = None
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None
    instance_type: ClassVar[None] = None
    instances: ClassVar[None] = None
    network: ClassVar[None] = None
    ssm_access: ClassVar[bool] = False


def transform_name_of(portfolio_name: str, model: str) -> str:
    return f"{portfolio_name}-{model}"


def batch_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """Every problem of the transform: SageMaker's limits, the schedule, and what its cost needs."""
    config: BatchConfig = model.batch
    at = f"{where}.batch"
    problems = image_or_pipeline_problems(where, model, items.region)
    problems += [Problem(f"{at}.{problem.split(' ', 1)[0]}", problem.split(" ", 1)[1]) for problem in transform_problems(
        instance_type=config.instance_type, instance_count=config.instance_count, max_concurrent_transforms=config.max_concurrent_transforms,
        max_payload_mb=config.max_payload_mb, batch_strategy=config.batch_strategy, split_type=config.split_type,
    )]
    if config.instance_type not in catalog:
        problems.append(Problem(f"{at}.instance_type", unknown_instance_type(config.instance_type, catalog)))
    elif catalog[config.instance_type].price_usd_per_hour is None:
        problems.append(Problem(f"{at}.instance_type", f"{config.instance_type} has no price in the catalog: set it under prices: to cost the runs"))
    if config.schedule and config.on_new_objects:
        problems.append(Problem(f"{at}.on_new_objects", "a transform runs on a schedule or on new objects, not both"))
    if config.schedule:
        problems += [Problem(f"{at}.{'time_zone' if problem.startswith('time_zone') else 'schedule'}", problem) for problem in config.trigger_schedule.problems()]
    elif config.runs_per_month is None:
        started = "on each new object" if config.on_new_objects else "by hand"
        problems.append(Problem(f"{at}.runs_per_month", f"required to cost runs started {started}: no schedule says how many a month"))
    if config.run_hours is None and (config.records is None or config.record_processing_s is None):
        problems.append(Problem(f"{at}.run_hours", "required unless records and record_processing_s are given: a run's cost is its instances x its hours"))
    name = transform_name_of(items.name, model.name)
    longest = TRANSFORM_JOB_NAME_MAX - TRANSFORM_JOB_SUFFIX_CHARS
    if len(name) > longest:
        problems.append(Problem(f"{where}.name", f"{name!r} is {len(name)} characters: a run's job is named <portfolio>-<model>-<12 hex digits>, so at most {longest}"))
    return problems


# A serial pipeline's containers each have these of their own (loadmaster.spec.containers.ContainerSpec).
_ONE_CONTAINER_KEYS = ("image", "artifact", "environment", "artifact_kms_key_arn")


def pipeline_of(model: Any) -> list[ContainerSpec] | None:
    """A transform's serial pipeline, None for one image (always for an `auto` model that writes batch: it has one)."""
    return getattr(model, "containers", None)


def image_or_pipeline_problems(where: str, model: Any, region: str | None) -> list[Problem]:
    """A transform runs one container or a pipeline's: exactly one of `image` and `containers`, and a pipeline's
    containers with what SageMaker refuses of them."""
    containers = pipeline_of(model)
    if containers is None:
        if model.image is None:
            return [Problem(f"{where}.image", ("required: the transform's container image, or containers: for a serial pipeline of "
                                                     f"{MIN_PIPELINE_CONTAINERS} to {MAX_CONTAINERS_PER_MODEL}"))]
        return []
    problems = [Problem(f"{where}.{key}", "give image (one container) or containers (a serial pipeline), not both" if key == "image"
                        else f"a serial pipeline's containers each have their own {key}: write it in containers:, not on the model")
                for key in _ONE_CONTAINER_KEYS if getattr(model, key)]
    return problems + containers_problems(where, containers, region)


# The plan


@dataclass(frozen=True)
class BatchPlan:
    """One model run as a batch transform."""

    pattern: ClassVar[str] = NAME

    model: str
    transform_name: str
    container: ContainerDefinition | None  # None: a serial pipeline's `pipeline`
    config: BatchConfig
    cost: TransformCost
    pipeline: dict[str, ContainerDefinition] | None = None  # a serial pipeline's containers by hostname, in order
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    generation: int = 1
    stack: str | None = None

    @property
    def key(self) -> str:
        return f"batch:{self.model}"

    @property
    def label(self) -> str:
        return f"batch transform {self.model}"

    @property
    def endpoint_name(self) -> str:
        """It has no endpoint: the name its jobs go by, which no endpoint of the portfolio may take either."""
        return self.transform_name

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model,)

    @staticmethod
    def counted(transforms: tuple[BatchPlan, ...]) -> list[tuple[int, str]]:
        return [(len(transforms), "batch transform")]

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        return []  # no endpoint: nothing for `loadmaster observe` to read traffic from

    def sagemaker_names(self) -> dict[str, str]:
        return {self.transform_name: f"model {self.model}"}

    def charges(self) -> tuple:
        return ()  # no standing instances: its cost is per run (`cost`), by use

    @property
    def hourly_at_mean(self) -> float:
        """The month's runs spread over its hours, the same at mean and at peak: runs follow the schedule, not traffic."""
        return self.cost.per_month / HOURS_PER_MONTH

    hourly_at_peak = hourly_at_mean

    @property
    def trigger(self) -> str:
        schedule = self.config.trigger_schedule
        if schedule:
            return f"on {schedule.expression} ({schedule.time_zone})"
        return "on each new object" if self.config.on_new_objects else "started by hand"

    def summary_lines(self) -> list[str]:
        config, cost = self.config, self.cost
        pipeline = f"pipeline {' > '.join(self.pipeline)} on " if self.pipeline else ""
        return [f"  batch {self.model} -> transform {self.transform_name}: {pipeline}{config.instance_count} x {config.instance_type} over {config.input}, "
                f"{self.trigger}, {cost.per_run:.2f} USD a run, {cost.per_month:.2f} USD a month ({cost.runs_per_month:.4g} runs)"]

    def model_documents(self) -> list[dict[str, Any]]:
        config, cost = self.config, self.cost
        return [{
            "name": self.model,
            "hosting": NAME,
            "pool": None,
            "transform_name": self.transform_name,
            "instance_type": config.instance_type,
            "instance_count": config.instance_count,
            **({"containers": list(self.pipeline)} if self.pipeline else {}),
            "on": f"batch transform, {config.instance_count} x {config.instance_type} a run",
            "input": config.input,
            "trigger": self.trigger,
            "run_hours": round(cost.run_time.hours, 4),
            "run_time_basis": cost.run_time.basis,
            "runs_per_month": round(cost.runs_per_month, 4),
            "cost_per_run": round(cost.per_run, 4),
            "cost_per_month": round(cost.per_month, 4),
            "hourly_at_mean": round(self.hourly_at_mean, 4),
            "hourly_at_peak": round(self.hourly_at_peak, 4),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }]

    def with_reasons(self, reasons: Any) -> BatchPlan:
        return replace(self, reasons=reasons(self.model, self.reasons))

    def identified(self, names: Any) -> BatchPlan:
        # A transform's state machine and jobs are named by CloudFormation and per run: one identity throughout.
        identity = names.endpoint(self.key, self.transform_name, NAME)
        return replace(self, generation=identity.generation, stack=identity.stack)


def costed(model: Any, catalog: Catalog) -> TransformCost:
    """instance_count x the type's price x a run's hours, times the runs a month (the schedule's, or runs_per_month).
    The model's problems are checked by then: its run time and runs a month are known."""
    config: BatchConfig = model.batch
    run: RunTime = run_time(run_hours=config.run_hours, records=config.records, processing_s=config.record_processing_s,
                            instance_count=config.instance_count, max_concurrent_transforms=config.max_concurrent_transforms)
    cost = transform_cost(instance_count=config.instance_count, price_per_hour=catalog[config.instance_type].price_usd_per_hour,
                          run=run, schedule=config.trigger_schedule)
    return cost if cost.runs_per_month is not None else replace(cost, runs_per_month=config.runs_per_month)


# The bill's part transforms are counted in (loadmaster.planner.bill): instance-hours of runs, at the catalog's price
# of the type, which is SageMaker's real-time hosting price. For a transform that is an estimate: SageMaker's pricing
# page prices batch transform per instance-hour by type on a tab of its own, and we found no AWS figure to check it
# against; third-party figures for ml.m5.xlarge disagree with each other (docs/aws-facts.md, "Batch transform").
PRICE_ESTIMATE = "an estimate: the type's real-time hosting price, which SageMaker's batch transform price may differ from; set it under prices:"
METER = Meter("batch transform", "instance-hours of the runs a month (at the type's real-time hosting price unless prices: sets it)",
              PriceSource(f"loadmaster's instance catalog, taken for batch transform ({PRICE_ESTIMATE})", SAGEMAKER_PRICING, None, "2026-12-01", unverified=True))


def price_note(config: BatchConfig, context: PlanningContext) -> str:
    """Which price a run's instance-hours are counted at, and whether it is the user's or an estimate."""
    price = context.catalog[config.instance_type].price_usd_per_hour
    if config.instance_type in context.portfolio.prices:
        return f"{config.instance_type} at {price:g} USD per instance-hour, as prices: states"
    return f"{config.instance_type} at {price:g} USD per instance-hour, {PRICE_ESTIMATE}"


def cost_by_use(model: Any, catalog: Catalog) -> UsageCost:
    """The month's runs spread over its hours, at mean and at peak alike: a transform's cost does not follow traffic."""
    hourly = costed(model, catalog).per_month / HOURS_PER_MONTH  # as BatchPlan.hourly_at_mean
    return UsageCost(model.name, hourly, hourly, METER)


def plan_units(context: PlanningContext) -> tuple[tuple[BatchPlan, ...], list[Problem]]:
    units = []
    for name, decision in context.models_of(NAME).items():
        model = context.spec_of(name)
        cost = costed(model, context.catalog)
        notes = [*decision.notes, f"a run takes {cost.run_time.basis}", f"{cost.runs_per_month:.4g} runs a month "
                 + (f"from {model.batch.schedule}" if model.batch.schedule else "as runs_per_month states"), price_note(model.batch, context)]
        units.append(BatchPlan(
            model=name,
            transform_name=transform_name_of(context.portfolio.name, name),
            container=context.containers.get(name),  # none for a pipeline, whose containers are its own
            pipeline=container_definitions(pipeline_of(model), context.portfolio.artifact_kms_key_arn) if pipeline_of(model) else None,
            config=model.batch,
            cost=cost,
            reasons=decision.reasons,
            notes=tuple(notes),
        ))
    return tuple(units), []


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    """A transform needs what only its `batch:` key says (the input prefix, the schedule), and an `auto` model that
    writes it is a transform already: weighed, it cannot host the model, and says what it would need."""
    pattern = model.traffic.pattern if model.traffic else None
    need = "write batch: {input, schedule, instance_type, run_hours} to run it as one"
    why = (f"its traffic pattern is batch (offline scoring), which a batch transform serves best: {need}" if pattern == "batch"
           else f"a transform serves offline scoring (traffic pattern batch), not {pattern or 'unstated'} traffic; {need}")
    return Candidate(NAME, f"batch transform: cannot host it, {why}", SCALING_LEVELS, unfit=f"it is not a batch transform: {why}")


def request_refusals(request: Request) -> list[str]:
    """Why a transform cannot take the model's requests: a request is at most MaxPayloadInMB (100 MB) and is
    answered within InvocationsTimeoutInSeconds (up to 3600 s); results go to S3."""
    reasons = []
    if not request.callers_wait_for_s3:
        reasons.append("its callers cannot wait for the result in S3 (request.callers_wait_for_s3 is false)")
    if request.payload_mb > TRANSFORM_MAX_PAYLOAD_RANGE_MB[1]:
        reasons.append(f"its {request.payload_mb:g} MB payload is above the {TRANSFORM_MAX_PAYLOAD_RANGE_MB[1]} MB a transform request takes")
    if request.processing_s > TRANSFORM_INVOCATION_TIMEOUT_RANGE_S[1]:
        reasons.append(f"its {request.processing_s:g} s processing is above the {TRANSFORM_INVOCATION_TIMEOUT_RANGE_S[1]} s a transform request may run")
    return reasons


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    return f"chosen: {NAME}, billed only while a run transforms its inputs"


PATTERN = HostingPattern(NAME, BatchModel, BatchFields, (), BatchPlan, plan_units, candidate, verdict,
                         scaling_complexity="a batch transform scales nothing (fixed instances a run)",
                         rehearsed_types=("AWS::StepFunctions::StateMachine",), instances=NONE, model_problems=batch_problems, cost_by_use=cost_by_use,
                         request_refusals=request_refusals)
