"""`hosting: multi-model`: many models behind one endpoint, every artifact under one S3 prefix served by one shared
container that loads each model on its first invocation (`Mode: MultiModel`; `loadmaster.multi_model`). One portfolio
model names the container, the prefix, the instance type and bounds, and lists the models it holds; the instances
scale on the invocations of all of them together. Its keys and checks, its plan unit, and its place in `auto`: an
`auto` model that writes `holds`, or several similar `auto` models the planner groups (`groups`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from loadmaster import limits
from loadmaster.catalog import Catalog, InstanceType
from loadmaster.errors import Problem
from loadmaster.hostings.dedicated import DedicatedFields, cheapest_alone
from loadmaster.hostings.pattern import (
    Alone,
    Candidate,
    Group,
    HostingPattern,
    HostsMembers,
    Member,
    ModelOnInstances,
    PlanningContext,
    Proposals,
    bounds_range,
    counts_document,
    deployment_of,
    endpoint_named_like_a_pool,
    network_of,
    request_of,
    scaling_summary,
)
from loadmaster.multi_model import (
    artifact_path,
    hourly_cost,
    instance_type_refusal,
    instances_for,
    multi_model_scaling,
    one_endpoint_each_hourly,
    runs_on_gpu,
    target_model_problem,
)
from loadmaster.naming import DEFAULT_VARIANT_NAME
from loadmaster.plan import Bounds, ContainerDefinition, DeploymentPlan, NetworkPlan
from loadmaster.scaling import Scaling, ScalingMetric
from loadmaster.spec.base import HOSTING_DESCRIPTION, S3_URI, ModelSpec, Name, Spec, Traffic, unknown_instance_type
from loadmaster.spec.base import Scaling as ScalingSpec

if TYPE_CHECKING:
    from loadmaster.planner.cost import BaselineEndpoint
    from loadmaster.planner.sizing import Counts, Demand

NAME = "multi-model"
MULTI_MODEL_METRICS = ("gpu-utilization",)  # invocations-per-instance is dedicated's too: it does not pin `auto`
SCALING_LEVELS = 1
BYTES_PER_GB, BYTES_PER_MIB = 10**9, 2**20
# Held models whose sizes differ more than this share one instance's memory badly: SageMaker's guidance is models
# "fairly similar in size and invocation latency" ("Multi-model endpoints"); the factor is our reading of "fairly".
SIMILAR_SIZE_FACTOR = 4


class HeldModel(Spec):
    """One model a multi-model endpoint serves: an artifact under its prefix, invoked by its path there."""

    name: Name = Field(description="The model's name in the portfolio and the plan.")
    artifact: str | None = Field(default=None, min_length=1, max_length=1024, description=(
        "Its path under the endpoint's prefix, what callers send as TargetModel. Default: NAME.tar.gz."))
    size_gb: float | None = Field(default=None, gt=0, le=10_000, description="Its weights in GB: it must fit an instance's memory to be loaded.")
    traffic: Traffic | None = Field(default=None, description="Its traffic, for the planner to count the endpoint's instances from.")


class MultiModelScaling(ScalingSpec):
    metric: Literal["invocations-per-instance", "gpu-utilization"] = Field(description=(
        "invocations-per-instance (of all models together, per minute) or gpu-utilization (percent, GPU instance types only)."))


class MultiModelFields(ModelSpec):
    """The keys only a multi-model endpoint has (an `auto` model that writes `holds` is one); it shares a dedicated
    endpoint's instance keys."""

    holds: list[HeldModel] | None = Field(default=None, min_length=1, description=(
        "The models the endpoint serves, each an artifact under `artifact` (the prefix). Required for hosting: multi-model."))
    model_cache: bool = Field(default=True, description=(
        "Keep loaded models for the next request (ModelCacheSetting). false unloads each after its request: for models invoked about once. Default: true."))


class MultiModelModel(MultiModelFields, DedicatedFields):
    """Many models behind one endpoint and one container."""

    hosting: Literal["multi-model"] = Field(description=HOSTING_DESCRIPTION)
    artifact: str | None = Field(default=None, description="The S3 prefix every held model lies under, s3://bucket/prefix/ (ending in /). Required.")
    scaling: MultiModelScaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking on the instances; none turns autoscaling off. Default: invocations-per-instance at 70, and on a GPU also "
        "gpu-utilization at 60 %."))
    # An inference component's keys, which a multi-model endpoint does not have.
    pool: ClassVar[None] = None
    per_copy: ClassVar[None] = None
    copies: ClassVar[None] = None


def multi_model_problems(where: str, model: Any, items: Any, catalog: Catalog) -> list[Problem]:
    """What needs the catalog or the whole file; `model` is a multi-model one, or an `auto` model that writes `holds`."""
    problems = []
    if model.artifact is None or not model.artifact.endswith("/") or not S3_URI.match(model.artifact):
        problems.append(Problem(f"{where}.artifact", f"the S3 prefix every held model lies under, s3://bucket/prefix/ (ending in /); got {model.artifact!r}"))
    instance = None
    if model.instance_type is None:
        if model.size_gb is None:
            problems.append(Problem(f"{where}.instance_type", "required unless size_gb (the largest held model's) is given for the planner to choose it"))
    elif model.instance_type not in catalog:
        problems.append(Problem(f"{where}.instance_type", unknown_instance_type(model.instance_type, catalog)))
    else:
        instance = catalog[model.instance_type]
        if (refusal := instance_type_refusal(instance.name, instance.accelerator_kind)) is not None:
            problems.append(Problem(f"{where}.instance_type", refusal))
        gpu_metric = isinstance(model.scaling, MultiModelScaling) and model.scaling.metric == "gpu-utilization"
        if gpu_metric and not runs_on_gpu(instance.accelerator_kind):
            problems.append(Problem(f"{where}.scaling.metric", f"gpu-utilization, but {instance.name} has no GPU: scale on invocations-per-instance"))
    if model.instances is not None and model.instances.min < 1:
        problems.append(Problem(f"{where}.instances.min", "a multi-model endpoint keeps at least 1 instance"))
    if not model.holds:
        problems.append(Problem(f"{where}.holds", "required: the models the endpoint serves (name, optional artifact, size_gb, traffic)"))
    problems += _held_problems(where, model.holds or [], instance)
    return problems + endpoint_named_like_a_pool(where, items, model.name)


def _held_problems(where: str, held: list[HeldModel], instance: InstanceType | None) -> list[Problem]:
    problems = []
    seen_names: dict[str, int] = {}
    seen_paths: dict[str, int] = {}
    for index, model in enumerate(held):
        at = f"{where}.holds[{index}] ({model.name})"
        if model.name in seen_names:
            problems.append(Problem(f"{at}.name", f"duplicate name, also holds[{seen_names[model.name]}]"))
        seen_names.setdefault(model.name, index)
        path = artifact_path(model.name, model.artifact)
        if (problem := target_model_problem(path)) is not None:
            problems.append(Problem(f"{at}.artifact", problem))
        elif path in seen_paths:
            problems.append(Problem(f"{at}.artifact", f"{path} is also the artifact of holds[{seen_paths[path]}]: callers could not tell them apart"))
        seen_paths.setdefault(path, index)
        memory_mib = _model_memory_mib(instance)
        if model.size_gb is not None and memory_mib is not None and model.size_gb * BYTES_PER_GB / BYTES_PER_MIB > memory_mib:
            problems.append(Problem(f"{at}.size_gb", f"{model.size_gb:g} GB does not fit the {memory_mib:,.0f} MiB {_memory_kind(instance)} of one "
                                                     f"{instance.name}: SageMaker could never load it"))
    return problems


def _model_memory_mib(instance: InstanceType | None) -> float | None:
    """What one loaded model may take of an instance: its GPU's memory on a GPU, else its usable host memory."""
    if instance is None:
        return None
    return instance.usable_accelerator_memory_gib * 1024 if runs_on_gpu(instance.accelerator_kind) else instance.usable_memory_mb


def _memory_kind(instance: InstanceType) -> str:
    return "GPU memory" if runs_on_gpu(instance.accelerator_kind) else "usable memory"


# The plan


@dataclass(frozen=True)
class HeldPlan:
    """A model the endpoint serves, as callers address it."""

    name: str
    target_model: str  # its path under the prefix
    size_gb: float | None = None


@dataclass(frozen=True)
class MultiModelPlan(HostsMembers, ModelOnInstances):
    """A multi-model endpoint and the models it holds (`members`: those `auto` grouped onto it, each a portfolio model)."""

    pattern: ClassVar[str] = NAME

    model: str
    endpoint_name: str
    container: ContainerDefinition  # its artifact is the prefix
    instance_type: InstanceType
    instances: Bounds
    scaling: Scaling | None  # on the instances; None: `scaling: none`
    held: tuple[HeldPlan, ...]
    model_cache: bool = True
    instance_counts: Counts | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deployment: DeploymentPlan = DeploymentPlan()
    network: NetworkPlan | None = None
    ssm_access: bool = False
    generation: int = 1
    stack: str | None = None
    members: tuple[Member, ...] = ()

    @property
    def label(self) -> str:
        return f"multi-model endpoint {self.model}"

    @staticmethod
    def counted(endpoints: tuple[MultiModelPlan, ...]) -> list[tuple[int, str]]:
        return [(len(endpoints), "multi-model endpoint"), (sum(len(endpoint.held) for endpoint in endpoints), "held model")]

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        # Every held model's requests together: CloudWatch has no per-model metric of a multi-model endpoint.
        return [(self.model, (("EndpointName", self.endpoint_name), ("VariantName", DEFAULT_VARIANT_NAME)), "ConcurrentRequestsPerModel")]

    def summary_lines(self) -> list[str]:
        return [f"  multi-model {self.model} -> endpoint {self.endpoint_name}: {len(self.held)} models under {self.container.artifact}, "
                f"{self.instance_type.name} x {bounds_range(self.instances)} instances, {scaling_summary(self.scaling)}"] + self.member_lines(self.endpoint_name)

    def model_documents(self) -> list[dict[str, Any]]:
        endpoint = {
            "name": self.model,
            "hosting": NAME,
            "pool": None,
            "endpoint_name": self.endpoint_name,
            "instance_type": self.instance_type.name,
            "copies": counts_document(self.instance_counts, self.instances),  # the shared instances
            "holds": [{"name": held.name, "target_model": held.target_model, "size_gb": held.size_gb} for held in self.held],
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }
        return [endpoint] + self.member_documents(endpoint)


def _invocations_target(model: Any) -> float:
    written = model.scaling
    if isinstance(written, MultiModelScaling) and written.metric == "invocations-per-instance":
        return written.target
    return limits.DEFAULT_MULTI_MODEL_INVOCATIONS_PER_INSTANCE


def _per_minute(traffic: Traffic, concurrency: float, latency_slo_ms: int | None) -> float | None:
    """Invocations a minute at `concurrency`: the stated rate scaled to it, else by Little's law at the latency
    objective; None when neither is known."""
    if traffic.requests_per_s is not None:
        scale = concurrency / traffic.mean_concurrency if traffic.mean_concurrency else 1
        return traffic.requests_per_s * 60 * scale
    return concurrency / (latency_slo_ms / 1000) * 60 if latency_slo_ms else None


def _rates(model: Any) -> dict[str, tuple[float | None, float | None]]:
    """Each held model's invocations a minute at mean and at peak (None: not known)."""
    return {held.name: (_per_minute(held.traffic, held.traffic.mean_concurrency, model.latency_slo_ms),
                        _per_minute(held.traffic, held.traffic.peak_concurrency, model.latency_slo_ms)) if held.traffic else (None, None)
            for held in model.holds or []}


def mean_is_stated(model: Any) -> bool:
    """Whether the endpoint's count at mean comes from traffic: every held model's rate is known (or it is fixed)."""
    return model.scaling == "none" or all(mean is not None for mean, _ in _rates(model).values())


def baseline(model: Any, plan_type: InstanceType) -> tuple[BaselineEndpoint, ...]:
    """One endpoint per held model, as AWS's pricing example compares them: each alone on an endpoint of the plan's
    instance type, at the instances its own invocations need (one at least, and without a rate)."""
    from loadmaster.planner.cost import BaselineEndpoint  # the planner's, not needed to read a plan

    target = _invocations_target(model)
    at = (lambda rate: 1 if rate is None else instances_for(rate, target, min_instances=1, max_instances=limits.MAX_COUNT))
    return tuple(BaselineEndpoint(f"{model.name}/{name}", plan_type.name, plan_type.price_usd_per_hour, at(mean), at(peak))
                 for name, (mean, peak) in _rates(model).items())


def instance_counts(model: Any) -> tuple[Counts, tuple[int, int], list[str]]:
    """Instances at the floor, at mean and at peak: the invocations of every held model together over the target per
    instance (`instances_for`), within the written bounds (default: 1 to what the peak needs). A held model whose
    rate is unknown counts as nothing known, and the note says so: the counts are then a floor."""
    from loadmaster.planner.sizing import Counts  # the planner's, not needed to read a plan

    target = _invocations_target(model)
    rates = _rates(model)
    unknown = [name for name, (mean, _) in rates.items() if mean is None]
    mean = sum(rate for rate, _ in rates.values() if rate is not None)
    peak = sum(rate for _, rate in rates.values() if rate is not None)
    written = model.instances
    low = written.min if written else 1
    high = written.max if written else max(low, instances_for(peak, target, min_instances=low, max_instances=limits.MAX_COUNT))
    if model.scaling == "none":
        return Counts(low, low, low), (low, max(low, high)), []
    notes = []
    if unknown:
        notes.append(f"no invocation rate for {', '.join(unknown)} (traffic with requests_per_s, or latency_slo_ms): their requests are not counted, "
                     "so the instance counts are a floor")
    at = (lambda rate: instances_for(rate, target, min_instances=low, max_instances=high))
    return Counts(low, at(mean), at(peak)), (low, high), notes


def scaling_of(model: Any, bounds: Bounds, gpu: bool) -> Scaling | None:
    """As written (one policy), else invocations per instance and, on a GPU, its utilization; None for `scaling: none`."""
    if model.scaling == "none":
        return None
    written = model.scaling
    if written is None:
        return multi_model_scaling(bounds.min, bounds.max, gpu=gpu)
    both = multi_model_scaling(bounds.min, bounds.max, gpu=True, invocations_per_instance=written.target, gpu_utilization_percent=written.target,
                               scale_in_cooldown_s=written.scale_in_cooldown_s, scale_out_cooldown_s=written.scale_out_cooldown_s)
    chosen = ScalingMetric.named(written.metric)
    return replace(both, target_tracking=tuple(policy for policy in both.target_tracking if policy.metric is chosen))


def cost_reason(held: int, instance: InstanceType, counts: Counts) -> str:
    """The seed's comparison, from the plan's own figures: the endpoint at its floor against each model alone."""
    price = instance.price_usd_per_hour
    together, alone = hourly_cost(price, counts.min), one_endpoint_each_hourly(price, held)
    if together is None or alone is None:
        return f"cost: {instance.name} has no known price (set it under prices:), so neither this endpoint nor {held} endpoints of their own can be priced"
    return (f"cost: {held} models on {counts.min} shared {instance.name} instance{'s' if counts.min != 1 else ''}: {together:.3f} USD/h at the floor; "
            f"each alone on an {instance.name} endpoint of its own: {held} x {price:.3f} = {alone:.2f} USD/h")


def fitness_notes(model: Any) -> list[str]:
    """Where the held models fit a multi-model endpoint less well, as SageMaker's guidance says: sizes far apart, or
    one model with most of the traffic (better on an endpoint of its own)."""
    notes = []
    sizes = {held.name: held.size_gb for held in model.holds or [] if held.size_gb is not None}
    if len(sizes) > 1 and max(sizes.values()) > SIMILAR_SIZE_FACTOR * min(sizes.values()):
        largest, smallest = max(sizes, key=sizes.get), min(sizes, key=sizes.get)
        notes.append(f"sizes differ more than {SIMILAR_SIZE_FACTOR}x ({largest} {sizes[largest]:g} GB, {smallest} {sizes[smallest]:g} GB): "
                     "multi-model endpoints share memory best among models of similar size")
    traffic = {held.name: held.traffic.mean_concurrency for held in model.holds or [] if held.traffic}
    total = sum(traffic.values())
    if len(traffic) > 1 and total and (busiest := max(traffic, key=traffic.get)) and traffic[busiest] > total / 2:
        notes.append(f"{busiest} has {traffic[busiest] / total:.0%} of the traffic: a model much busier than the others is better on an endpoint of its own")
    return notes


def plan_units(context: PlanningContext) -> tuple[tuple[MultiModelPlan, ...], list[Problem]]:
    units = []
    problems = []
    for index, (name, decision) in enumerate(context.models_of(NAME).items()):
        model = context.spec_of(name)
        instance = context.catalog[decision.instance_type]
        if (refusal := instance_type_refusal(instance.name, instance.accelerator_kind)) is not None:  # the planner's choice, not written
            problems.append(Problem(f"models ({name}).instance_type", f"the planner's cheapest type for it, {refusal}: name an instance_type"))
            continue
        instances = Bounds(*decision.bounds)
        held = tuple(HeldPlan(held.name, artifact_path(held.name, held.artifact), held.size_gb) for held in model.holds)
        group = context.group(name)
        units.append(MultiModelPlan(
            model=name,
            endpoint_name=f"{context.portfolio.name}-{name}",
            container=context.containers[name],
            instance_type=instance,
            instances=instances,
            scaling=scaling_of(model, instances, runs_on_gpu(instance.accelerator_kind)),
            held=held,
            model_cache=model.model_cache,
            instance_counts=decision.counts,
            reasons=(group.reasons if group else decision.reasons) + (cost_reason(len(held), instance, decision.counts),),
            notes=decision.notes + tuple(fitness_notes(model)),
            deployment=deployment_of(model),
            network=network_of(model.network),
            ssm_access=model.ssm_access,
            members=group.members if group else (),
        ))
    return tuple(units), problems


def candidate(model: Any, demands: dict[str, Demand], catalog: Catalog) -> Candidate:
    """A multi-model endpoint hosts a group of models (`holds`), not one: an `auto` model that writes `holds` is one
    (the key decides it), and a model that does not cannot be one alone; the planner's grouping step may put it on
    one with similar models (`groups`)."""
    why = "multi-model: serves several models behind one container (holds, or similar auto models the planner groups), not one alone"
    return Candidate(NAME, why, SCALING_LEVELS, unfit=why)


def verdict(chosen: Candidate, others: list[Candidate], saving: float | None, pattern: str | None) -> str:
    return f"chosen: {NAME}, " + "; ".join(other.unfit for other in others if other.unfit)


# `hosting: auto` grouping (HostingPattern.groups): several `auto` models behind one container.

# A model's first invocation on a multi-model endpoint downloads and loads it from S3 (and again after SageMaker
# unloads it for room), and waits up to 60 s for it before answering ModelNotReadyException ("Invoke a Multi-Model
# Endpoint"): a latency objective shorter than that may be missed then. A small artifact may load faster; AWS gives
# no typical figure, so we take the wait's bound.
FIRST_INVOCATION_LOAD_MS = 60_000
# The multi-model GPU types take the Triton Inference Server container only ("Supported algorithms, frameworks, and
# instances for multi-model endpoints"): its image's repository.
TRITON_REPOSITORY = "sagemaker-tritonserver"


def groups(models: list[Alone], catalog: Catalog) -> Proposals:
    """Models behind one container: the same image, environment and artifact key, each artifact a key directly
    under one S3 prefix (its path there is its TargetModel); on CPU (or on a single GPU with the Triton image); each
    with little traffic (its peak within one instance's invocations target) whose rate is known, a latency objective
    that tolerates a load on first invocation (or none), no scaling or request of its own beyond real time; of
    sizes within SIMILAR_SIZE_FACTOR; none with more than half their traffic. At least two."""
    containers: dict[tuple[str, ...], list[Alone]] = {}
    for model in models:
        if (key := _container_key(model.spec)) is not None:
            containers.setdefault(key + (_device(model) or "",), []).append(model)
    proposals, left_out = [], {}
    for key, alike in containers.items():
        if len(alike) < 2:
            continue
        fit = []
        for model in alike:
            if (why := _unfit(model)) is None:
                fit.append(model)
            else:
                left_out[model.spec.name] = why
        fit, dissimilar = _similar_sizes(fit)
        fit, busy = _without_the_busiest(fit)
        left_out |= dissimilar | busy
        group = _group(key, fit, catalog) if len(fit) >= 2 else None
        if group is not None:
            proposals.append(group)
    return Proposals(tuple(proposals), left_out)


def _container_key(model: Any) -> tuple[str, ...] | None:
    """What one container shares: image, the artifacts' prefix, environment and artifact key (None: no artifact
    that is a key under a prefix). The hardware it runs on is the last part of the key."""
    artifact = model.artifact
    if not artifact or artifact.endswith("/") or not S3_URI.match(artifact):
        return None
    image = model.image if isinstance(model.image, str) else f"{model.image.framework}:{model.image.version}"
    prefix = artifact.rsplit("/", 1)[0] + "/"
    return image, prefix, repr(sorted(model.environment.items())), model.artifact_kms_key_arn or ""


def _device(model: Alone) -> str | None:
    if "cpu" in model.devices:
        return "cpu"
    image = model.spec.image if isinstance(model.spec.image, str) else ""
    return "gpu" if "gpu" in model.devices and TRITON_REPOSITORY in image else None


def _rate(model: Any) -> tuple[float, float] | None:
    """Its invocations a minute at mean and at peak, as a held model's are counted; None when unknown."""
    if model.traffic is None:
        return None
    mean, peak = (_per_minute(model.traffic, level, model.latency_slo_ms) for level in (model.traffic.mean_concurrency, model.traffic.peak_concurrency))
    return None if mean is None or peak is None else (mean, peak)


def _unfit(model: Alone) -> str | None:
    spec = model.spec
    request = request_of(spec)
    if _device(model) is None:
        return f"it runs on {', '.join(model.devices)}: a multi-model endpoint runs on CPU, or on one GPU with the Triton image"
    if spec.scaling is not None:
        return "its scaling is written for an endpoint of its own"
    if request is not None and request.needs_more_than_real_time():
        return "its requests need more than a real-time endpoint takes"
    if spec.latency_slo_ms is not None and spec.latency_slo_ms < FIRST_INVOCATION_LOAD_MS:
        return (f"its {spec.latency_slo_ms} ms objective is shorter than loading the model on its first invocation "
                f"(about {FIRST_INVOCATION_LOAD_MS // 1000} s, our estimate)")
    rate = _rate(spec)
    if rate is None:
        return "its invocation rate is unknown (state traffic with requests_per_s, or latency_slo_ms): the shared instances are counted from every member's"
    if rate[1] > limits.DEFAULT_MULTI_MODEL_INVOCATIONS_PER_INSTANCE:
        return (f"its peak of {rate[1]:g} invocations a minute is more than one instance's target ({limits.DEFAULT_MULTI_MODEL_INVOCATIONS_PER_INSTANCE:g}): "
                "not little traffic, better on an endpoint of its own")
    return None


def _similar_sizes(models: list[Alone]) -> tuple[list[Alone], dict[str, str]]:
    """The most models whose sizes lie within SIMILAR_SIZE_FACTOR of each other (the smallest such, on a tie), and
    why the others are left out."""
    ordered = sorted(models, key=lambda model: (model.spec.size_gb, model.spec.name))
    best = (0, 0)
    end = 0
    for start in range(len(ordered)):
        end = max(end, start)
        while end + 1 < len(ordered) and ordered[end + 1].spec.size_gb <= SIMILAR_SIZE_FACTOR * ordered[start].spec.size_gb:
            end += 1
        if end - start > best[1] - best[0]:
            best = (start, end)
    kept = ordered[best[0]:best[1] + 1]
    if not kept:
        return [], {}
    low, high = kept[0].spec.size_gb, kept[-1].spec.size_gb
    return (sorted(kept, key=lambda model: model.spec.name),
            {model.spec.name: f"its {model.spec.size_gb:g} GB is more than {SIMILAR_SIZE_FACTOR}x from the others' {low:g}..{high:g} GB: "
                              "multi-model endpoints share memory best among models of similar size" for model in ordered if model not in kept})


def _without_the_busiest(models: list[Alone]) -> tuple[list[Alone], dict[str, str]]:
    """The models without any that has more than half their traffic (fitness_notes' rule), and why."""
    kept, left_out = list(models), {}
    while len(kept) > 1:
        means = {model.spec.name: _rate(model.spec)[0] for model in kept}
        busiest = max(kept, key=lambda model: (means[model.spec.name], model.spec.name))
        total = sum(means.values())
        if not total or means[busiest.spec.name] <= total / 2:
            break
        left_out[busiest.spec.name] = (f"it has {means[busiest.spec.name] / total:.0%} of the traffic of the models like it: "
                                      "a model much busier than the others is better on an endpoint of its own")
        kept.remove(busiest)
    return kept, left_out


def _group(key: tuple[str, ...], models: list[Alone], catalog: Catalog) -> Group | None:
    """The models' multi-model endpoint, on the cheapest instance type that loads the largest of them."""
    from loadmaster.planner.devices import Devices  # the planner's, not needed to read a plan
    from loadmaster.planner.sizing import demands_by_type

    first = models[0].spec
    prefix, device = key[1], key[-1]
    held = []
    for model in models:
        mean, _ = _rate(model.spec)
        traffic = model.spec.traffic
        if traffic.requests_per_s is None and mean:  # its rate by its own latency objective, which the group's does not carry
            traffic = traffic.model_copy(update={"requests_per_s": mean / 60})
        held.append({"name": model.spec.name, "artifact": model.spec.artifact.removeprefix(prefix), "size_gb": model.spec.size_gb,
                     "traffic": traffic.model_dump(exclude_none=True)})
    objectives = [model.spec.latency_slo_ms for model in models if model.spec.latency_slo_ms is not None]
    written = {
        "name": "models-" + hashlib.sha256("|".join(key).encode()).hexdigest()[:8],  # the container's, whatever models it holds
        "hosting": NAME, "image": first.image, "artifact": prefix, "environment": dict(first.environment),
        "size_gb": max(model.spec.size_gb for model in models), "devices": [device], "holds": held,
    } | ({"artifact_kms_key_arn": first.artifact_kms_key_arn} if first.artifact_kms_key_arn else {}) | (
        {"latency_slo_ms": min(objectives)} if objectives else {})
    spec = MultiModelModel.model_validate(written)
    types = [name for name in demands_by_type(spec, catalog, devices=Devices((device,), "the grouped models'"))
             if catalog[name].price_usd_per_hour is not None and instance_type_refusal(name, catalog[name].accelerator_kind) is None]
    if not types:
        return None
    instance = catalog[cheapest_alone(types, catalog)]
    spec = spec.model_copy(update={"instance_type": instance.name})
    counts, _, _ = instance_counts(spec)
    mean_rate = sum(_rate(model.spec)[0] for model in models)
    sizes = sorted(model.spec.size_gb for model in models)
    members = tuple(Member(model.spec.name, {"TargetModel": model.spec.artifact.removeprefix(prefix)}, (
        "inference latency: " + (f"its {model.spec.latency_slo_ms} ms objective tolerates" if model.spec.latency_slo_ms else "no objective stated, so nothing rules out")
        + f" loading the model on its first invocation (about {FIRST_INVOCATION_LOAD_MS // 1000} s, our estimate); it stays loaded while memory lasts",
        f"chosen: {NAME}, grouped by the planner: one container serves {len(models)} models of the same image under {prefix}, of similar sizes "
        f"({sizes[0]:g}..{sizes[-1]:g} GB) with little traffic each, for less than they cost alone",
    )) for model in models)
    price = instance.price_usd_per_hour
    return Group(spec, members, instance.name, price * counts.min, price * counts.expected,
                 f"{counts.min} x {instance.name} at the floor and {counts.expected} at mean for their {mean_rate:.3g} invocations a minute together, "
                 f"{_invocations_target(spec):g} per instance")


PATTERN = HostingPattern(
    name=NAME, spec=MultiModelModel, fields=MultiModelFields, metrics=MULTI_MODEL_METRICS, unit=MultiModelPlan, plan_units=plan_units,
    candidate=candidate, verdict=verdict,
    scaling_complexity="a multi-model endpoint scales one level (instances, on the invocations of all its models)",
    rehearsed_types=("AWS::SageMaker::Endpoint",),  # its model's routing by TargetModel: VERIFIERS["AWS::SageMaker::Model"]
    instance_counts=instance_counts, model_problems=multi_model_problems, baseline=baseline, mean_is_stated=mean_is_stated, groups=groups,
)
