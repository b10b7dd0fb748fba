"""The portfolio file (version 1): parsed from YAML, validated into typed, immutable objects.

Structure (types, unknown keys, ranges) is checked by pydantic; what needs the whole file (pool
references, fit on the instance catalog, names) by `_semantic_problems`. Every problem is collected
and raised once as a `PortfolioError` naming file, model and field.
"""

from __future__ import annotations

import copy
import difflib
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from loadmaster.catalog import CPU, GPU, NEURON, Catalog, load_catalog, serverless
from loadmaster.catalog.usable import DEFAULT_RESERVE, Reserve
from loadmaster.errors import PortfolioError, Problem
from loadmaster.limits import NAMED_QUOTAS
from loadmaster.naming import KMS_KEY_ARN, SAGEMAKER_NAME_MAX, SAGEMAKER_NAME_PATTERN
from loadmaster.regions import BOTOCORE, aws_regions, sagemaker_regions

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(:(?P<tag>[\w.-]+)|@sha256:[a-f0-9]{64})?$"
)
S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")

Name = Annotated[str, StringConstraints(pattern=SAGEMAKER_NAME_PATTERN)]

INFERENCE_COMPONENT_METRICS = ("concurrent-requests-per-copy", "invocations-per-copy")
DEDICATED_METRICS = ("concurrent-requests-per-model", "invocations-per-instance")
SERVERLESS_METRICS = ("provisioned-concurrency-utilization",)
ScalingMetric = Literal[
    "concurrent-requests-per-copy", "invocations-per-copy", "concurrent-requests-per-model", "invocations-per-instance",
    "provisioned-concurrency-utilization",
]
Hosting = Literal["inference-component", "dedicated", "serverless", "auto"]
Device = Literal["gpu", "neuron", "cpu"]  # catalog.GPU, NEURON, CPU
# Copies or instances of one model at most; computed counts above it are refused too, not packed.
MAX_COUNT = 10_000


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CountRange(Spec):
    min: int = Field(ge=0, le=MAX_COUNT)
    max: int = Field(ge=1, le=MAX_COUNT)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> "CountRange":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class ServerlessSpec(Spec):
    """A serverless endpoint's memory and concurrency (loadmaster.catalog.serverless has SageMaker's limits).
    Defaults: the planner's (loadmaster.hostings.serverless)."""

    memory_mb: int | None = Field(default=None, ge=serverless.MIN_MEMORY_MB, le=serverless.MAX_MEMORY_MB, multiple_of=serverless.MB_PER_GB)
    max_concurrency: int | None = Field(default=None, ge=serverless.MIN_CONCURRENCY, le=serverless.MAX_CONCURRENCY)
    # Kept warm, scaled between min and max on provisioned-concurrency-utilization; min 1 at least.
    provisioned_concurrency: CountRange | None = None


class Network(Spec):
    """Where an endpoint's instances run: a VPC's subnets and security groups, optionally cut off from the internet."""

    subnets: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(min_length=1, max_length=16)
    security_groups: list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(min_length=1, max_length=5)
    isolation: bool = False  # EnableNetworkIsolation: the container makes no outbound calls at all


class PoolSpec(Spec):
    """A shared inference-component endpoint."""

    name: Name
    instance_type: str | None = None  # None: the planner chooses
    instances: CountRange | None = None  # None: the planner chooses; min may be 0 (scale to zero)
    routing: Literal["least-outstanding-requests", "random"] = "least-outstanding-requests"
    network: Network | None = None
    ssm_access: bool = False


class PerCopy(Spec):
    """Compute reserved for each copy of an inference component (ComputeResourceRequirements)."""

    accelerators: int = Field(default=0, ge=0, le=64)
    memory_mb: int = Field(ge=128, le=4_194_304)  # MinMemoryRequiredInMb >= 128 (CloudFormation schema)
    cpu_cores: float | None = Field(default=None, ge=0.25, le=1024)


class Scaling(Spec):
    metric: ScalingMetric
    target: float = Field(gt=0, le=1_000_000)
    scale_in_cooldown_s: int = Field(default=300, ge=0, le=86_400)
    scale_out_cooldown_s: int = Field(default=60, ge=0, le=86_400)


class FrameworkImage(Spec):
    """A Deep Learning Container resolved offline with the SageMaker Python SDK's image URIs."""

    framework: str = Field(min_length=1)
    version: str = Field(min_length=1)


class Traffic(Spec):
    pattern: Literal["steady", "variable", "intermittent", "batch"]
    mean_concurrency: float = Field(ge=0, le=1_000_000)
    peak_concurrency: float = Field(ge=0, le=1_000_000)
    # What the data-processed part of the bill is counted from (loadmaster/planner/bill.py): requests per second at
    # mean traffic (default: mean_concurrency / latency_slo_ms by Little's law, a floor) and each request's and
    # response's payload in KB (10^3 bytes). Without both sizes that part of the bill is "not stated", never 0.
    requests_per_s: float | None = Field(default=None, gt=0, le=10_000_000)
    request_kb: float | None = Field(default=None, ge=0, le=1_000_000)
    response_kb: float | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _mean_not_above_peak(self) -> "Traffic":
        if self.mean_concurrency > self.peak_concurrency:
            raise ValueError(f"mean_concurrency ({self.mean_concurrency:g}) is above peak_concurrency ({self.peak_concurrency:g})")
        return self


class Startup(Spec):
    model_download_timeout_s: int = Field(default=3600, ge=60, le=3600)
    health_check_timeout_s: int = Field(default=3600, ge=60, le=3600)


class Deployment(Spec):
    """How a change rolls out, and what rolls it back.

    Inference components and dedicated endpoints update in batches of `batch_percent` of their copies or instances
    (SageMaker accepts 5 to 50%; FACTS.md), waiting `wait_s` between batches; CloudWatch alarms on 5XX errors and on
    p90 model latency (`rollback_latency_ms`, default the model's `latency_slo_ms`) roll the change back.
    """

    strategy: Literal["rolling", "blue-green"] = "rolling"  # blue-green: dedicated endpoints only
    batch_percent: int = Field(default=25, ge=5, le=50)
    wait_s: int = Field(default=60, ge=0, le=3600)
    rollback_errors_per_minute: int = Field(default=5, ge=1, le=1_000_000)
    rollback_latency_ms: int | None = Field(default=None, gt=0, le=3_600_000)


class ModelSpec(Spec):
    name: Name
    image: str | FrameworkImage
    artifact: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    hosting: Hosting = "inference-component"
    # inference components
    pool: str | None = None
    per_copy: PerCopy | None = None
    copies: CountRange | None = None
    startup: Startup = Field(default_factory=Startup)
    # dedicated endpoints
    instance_type: str | None = None
    instances: CountRange | None = None
    network: Network | None = None
    ssm_access: bool = False
    # serverless endpoints
    serverless: ServerlessSpec | None = None
    # both
    artifact_kms_key_arn: str | None = Field(default=None, pattern=KMS_KEY_ARN)  # default: the portfolio's
    deployment: Deployment = Field(default_factory=Deployment)
    # both; "none" turns autoscaling off, None picks the default for the hosting
    scaling: Scaling | Literal["none"] | None = None
    # what the planner sizes from
    size_gb: float | None = Field(default=None, gt=0, le=10_000)
    traffic: Traffic | None = None
    latency_slo_ms: int | None = Field(default=None, gt=0, le=3_600_000)
    # the hardware the model runs on, for the planner to choose among; None: inferred (loadmaster.planner.devices)
    devices: list[Device] | None = Field(default=None, min_length=1)


class Portfolio(Spec):
    version: Literal[1]
    name: Name
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    tags: dict[str, str] = Field(default_factory=dict)
    prices: dict[str, Annotated[float, Field(gt=0, le=100_000)]] = Field(default_factory=dict)  # USD/hour; NaN fails too
    # What every instance keeps for SageMaker, the OS and the container runtime: copies fit in the rest.
    reserve: Reserve = DEFAULT_RESERVE
    # Encrypts the storage of endpoints on instance types without local NVMe (SageMaker refuses a key on those
    # with it). Default: a customer-managed key created in the stack, rotated yearly.
    kms_key_arn: str | None = Field(default=None, pattern=KMS_KEY_ARN)
    # The key the model artifacts are encrypted with in S3 (SSE-KMS), for the models that name none: the execution
    # roles may decrypt with it. Default: none (artifacts encrypted with S3's keys need no grant).
    artifact_kms_key_arn: str | None = Field(default=None, pattern=KMS_KEY_ARN)
    # The account's applied SageMaker quotas (Service Quotas console), by instance type or `instances` / `endpoints`:
    # the quota warnings compare with these instead of loadmaster's thresholds (loadmaster.limits).
    quotas: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(default_factory=dict)
    # GB of the EBS volume SageMaker attaches to each instance of a type without local NVMe storage, from AWS's Host
    # Instance Storage Volumes Table: what the bill's storage part is counted from (loadmaster/planner/bill.py).
    storage_gb: dict[str, Annotated[int, Field(ge=1, le=16_384)]] = Field(default_factory=dict)
    pools: list[PoolSpec] = Field(default_factory=list)
    models: list[ModelSpec] = Field(min_length=1)


def load_portfolio(path: str | Path, catalog: Catalog | None = None) -> Portfolio:
    """Read and validate a portfolio file; raise `PortfolioError` with every problem found."""
    source = str(path)
    document, duplicate_keys = _read_yaml(Path(path), source)
    try:
        portfolio = validate_portfolio(document, source, catalog or load_catalog())
    except PortfolioError as error:
        raise PortfolioError(source, duplicate_keys + error.problems) from None
    if duplicate_keys:
        raise PortfolioError(source, duplicate_keys)
    return portfolio


_SPEC_CLASSES = {cls.__name__: cls for cls in (CountRange, PoolSpec, PerCopy, Scaling, FrameworkImage, Traffic, Startup, Network, Deployment, ModelSpec)}


def validate_portfolio(document: Any, source: str, catalog: Catalog) -> Portfolio:
    if not isinstance(document, dict):
        raise PortfolioError(source, [Problem("", f"expected a mapping of portfolio keys, found {_kind(document)}")])
    try:
        portfolio = Portfolio.model_validate(document)
    except ValidationError as error:
        # Report the whole-file checks too, on every pool and model that is well-formed by itself
        # or but for unknown keys (then only on the fields it does write: no "required" for a misspelt key).
        items = _Items.well_formed(document)
        problems = _problems_from_pydantic(error.errors(), document)
        problems += [problem for problem in _semantic_problems(items, catalog) if items.written(problem.location, document)]
        raise PortfolioError(source, problems) from None
    problems = _semantic_problems(_Items.of(portfolio), catalog)
    if problems:
        raise PortfolioError(source, problems)
    return portfolio


class _Items(BaseModel):
    """What the whole-file checks look at, with each pool and model kept at its index in the file."""

    name: str
    region: str | None
    prices: dict[str, Any]
    reserve: Reserve = DEFAULT_RESERVE
    quotas: dict[str, Any] = {}
    artifact_kms_key_arn: str | None = None
    storage_gb: dict[str, Any] = {}
    pools: list[tuple[int, PoolSpec]]
    models: list[tuple[int, ModelSpec]]
    # The name of every item, well-formed or not, for duplicates and pool references; None when not a list.
    pool_names: list[tuple[int, str]] | None
    model_names: list[tuple[int, str]] | None
    # ("models", 2) for an item checked without its unknown keys
    without_unknown_keys: set[tuple[str, int]] = set()

    @classmethod
    def of(cls, portfolio: Portfolio) -> "_Items":
        return cls(name=portfolio.name, region=portfolio.region, prices=portfolio.prices, reserve=portfolio.reserve, quotas=portfolio.quotas,
                   artifact_kms_key_arn=portfolio.artifact_kms_key_arn, storage_gb=portfolio.storage_gb,
                   pools=list(enumerate(portfolio.pools)), models=list(enumerate(portfolio.models)),
                   pool_names=[(index, pool.name) for index, pool in enumerate(portfolio.pools)],
                   model_names=[(index, model.name) for index, model in enumerate(portfolio.models)])

    @classmethod
    def well_formed(cls, document: dict[str, Any]) -> "_Items":
        def parsed(key: str, spec: type[Spec]) -> list[tuple[int, Any]]:
            items = document.get(key)
            result = []
            for index, item in enumerate(items if isinstance(items, list) else []):
                try:
                    result.append((index, spec.model_validate(item)))
                except ValidationError as error:  # already reported with its fields
                    known = _without_unknown_keys(item, error.errors())
                    if known is not None:
                        result.append((index, spec.model_validate(known)))
                        without_unknown_keys.add((key, index))
            return result

        def names(key: str) -> list[tuple[int, str]] | None:
            items = document.get(key, [])
            if not isinstance(items, list):
                return None
            return [(index, item["name"]) for index, item in enumerate(items) if isinstance(item, dict) and isinstance(item.get("name"), str)]

        name = document.get("name")
        prices = document.get("prices")
        try:
            reserve = Reserve.model_validate(document.get("reserve", {}))
        except ValidationError:  # already reported with its fields; check the rest with the defaults
            reserve = DEFAULT_RESERVE
        quotas = document.get("quotas")
        artifact_key = document.get("artifact_kms_key_arn")
        storage_gb = document.get("storage_gb")
        without_unknown_keys: set[tuple[str, int]] = set()
        return cls(name=name if isinstance(name, str) else "", region=document.get("region") if isinstance(document.get("region"), str) else None,
                   prices=prices if isinstance(prices, dict) else {}, reserve=reserve, quotas=quotas if isinstance(quotas, dict) else {},
                   artifact_kms_key_arn=artifact_key if isinstance(artifact_key, str) else None, storage_gb=storage_gb if isinstance(storage_gb, dict) else {},
                   pools=parsed("pools", PoolSpec), models=parsed("models", ModelSpec),
                   pool_names=names("pools"), model_names=names("models"), without_unknown_keys=without_unknown_keys)

    def written(self, location: str, document: dict[str, Any]) -> bool:
        """Whether the field a problem is about is written in the file, on an item checked without its unknown keys."""
        match = re.match(r"^(pools|models)\[(\d+)\] \([^)]*\)\.(.+)$", location)
        if not match or (match[1], int(match[2])) not in self.without_unknown_keys:
            return True
        node = document[match[1]][int(match[2])]
        for field in match[3].split("."):
            if not isinstance(node, dict) or field not in node:
                return False
            node = node[field]
        return True


def _without_unknown_keys(item: Any, errors: list[Any]) -> Any | None:
    """The item without the keys pydantic does not know, or None when it has any other problem."""
    if not all(error["type"] == "extra_forbidden" for error in errors):
        return None
    item = copy.deepcopy(item)
    for error in errors:
        *path, key = error["loc"]
        node = item
        for part in path:
            node = node[part]
        del node[key]
    return item


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key written twice in one mapping is a problem, not silently the last one."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_lines: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in first_lines:
                where = f"line {key.start_mark.line + 1}, column {key.start_mark.column + 1}"
                self.duplicate_keys.append(Problem(where, f"duplicate key {key.value!r} (first on line {first_lines[key.value]}); YAML would keep only the last"))
            elif isinstance(key, yaml.ScalarNode):
                first_lines[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)


# A portfolio of a thousand models is a few hundred KB, and PyYAML reads about a MB a second: a bigger file is not
# a portfolio, and would only keep the command busy.
MAX_PORTFOLIO_BYTES = 4 * 1024 * 1024
# Far beyond any portfolio (models[2].scaling.target is 4 deep; a large portfolio holds some 10,000 values), far below
# what makes the validation hang or overflow: a YAML bomb's aliases expand to billions of values, and a list nested
# 10,000 times overflows Python's stack.
MAX_DEPTH = 50
MAX_VALUES = 1_000_000


def _read_yaml(path: Path, source: str) -> tuple[Any, list[Problem]]:
    """The document and the keys written twice in it."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PORTFOLIO_BYTES + 1)  # never more, even from an endless file such as /dev/zero
    except FileNotFoundError:
        raise PortfolioError(source, [Problem("", "file not found")]) from None
    except IsADirectoryError:
        raise PortfolioError(source, [Problem("", "is a directory, not a portfolio file")]) from None
    except OSError as error:
        raise PortfolioError(source, [Problem("", f"cannot read the file: {error}")]) from None
    if len(data) > MAX_PORTFOLIO_BYTES:
        raise PortfolioError(source, [Problem("", f"larger than {MAX_PORTFOLIO_BYTES // 2**20} MB: not a portfolio (those are a few hundred KB at most)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PortfolioError(source, [Problem("", f"cannot read the file: {error}")]) from None
    loader = None
    try:
        loader = _Loader(text)  # refuses characters YAML does not allow, such as NUL
        node = loader.get_single_node()
        _raise_if_too_large(node, source)
        return (loader.construct_document(node) if node is not None else None), loader.duplicate_keys
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, such as NUL or a control character
        line, column = text.count("\n", 0, error.position) + 1, error.position - text.rfind("\n", 0, error.position)
        raise PortfolioError(source, [Problem(f"line {line}, column {column}", f"not valid YAML: character {error.character:#04x} is not allowed")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PortfolioError(source, [Problem(where, f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise PortfolioError(source, [Problem("", f"not valid YAML: {error}")]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise PortfolioError(source, [Problem("", f"nested more than {MAX_DEPTH} levels deep: not a portfolio")]) from None
    except ValueError as error:  # a date such as 2024-13-45, an integer beyond Python's 4,300 digits
        reason = str(error).split(";")[0]  # not Python's advice on sys.set_int_max_str_digits()
        raise PortfolioError(source, [Problem("", f"not valid YAML: {reason}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _raise_if_too_large(root: yaml.Node | None, source: str) -> None:
    """Refuse a document nested more than `MAX_DEPTH` levels, expanding to more than `MAX_VALUES` values once its
    aliases are followed, or containing itself, before anything walks it. Each node is visited once (aliases share
    their node), without recursion."""
    values: dict[int, int] = {}  # expanded values under each node finished so far, by id
    open_nodes: set[int] = set()  # the nodes whose children are being visited: the current path
    pending: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)] if root is not None else []
    while pending:
        node, depth, children_done = pending.pop()
        children = [child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        if children_done:
            open_nodes.discard(id(node))
            values[id(node)] = 1 + sum(values[id(child)] for child in children)
            if values[id(node)] > MAX_VALUES:
                raise PortfolioError(source, [Problem("", f"expands to more than {MAX_VALUES:,} values through its aliases (a YAML bomb?): not a portfolio")])
            continue
        if id(node) in values:
            continue
        where = f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
        if id(node) in open_nodes:
            raise PortfolioError(source, [Problem(where, "an alias refers to a collection that contains it: not a portfolio")])
        if depth > MAX_DEPTH:
            raise PortfolioError(source, [Problem(where, f"nested more than {MAX_DEPTH} levels deep: not a portfolio")])
        open_nodes.add(id(node))
        pending.append((node, depth, True))
        pending.extend((child, depth + 1, False) for child in children)


def _kind(value: Any) -> str:
    kinds = {type(None): "nothing", list: "a list", dict: "a mapping", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _found(value: Any) -> str:
    """The value itself when it is short and plain (`'lots'`, `1.5`, `true`), else what kind of value it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 60):
        return repr(value)
    return _kind(value)


def _shown(text: str) -> str:
    """A name as a problem quotes it: whole up to 100 characters, so that a problem stays one readable line."""
    return text if len(text) <= 100 else text[:100] + "..."


def _is_union_branch(part: Any) -> bool:
    """pydantic names the branch of a union it tried (`str`, `FrameworkImage`, `literal['none']`) in an error's loc."""
    return isinstance(part, str) and (
        part in _SPEC_CLASSES or part in {"str", "int", "float", "bool"} or part.startswith(("literal[", "function-"))
    )


def _location(loc: tuple[Any, ...], document: Any) -> str:
    """`('models', 2, 'per_copy')` -> `models[2] (blockgen).per_copy`, naming list items by their `name`."""
    text, node = "", document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name']})"
        elif not _is_union_branch(part):
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


# pydantic's type errors, by the type they expected (https://docs.pydantic.dev/latest/errors/validation_errors/)
_EXPECTED_TYPES = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number", "string_type": "a string", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
}
# What a string field with a pattern holds, by the field's name.
_PATTERN_HINTS = {"region": "an AWS region such as us-east-1", "account": "a 12-digit AWS account ID"}


def _message(error: Any) -> str:
    kind, message, field = error["type"], error["msg"], error["loc"][-1] if error["loc"] else None
    if kind == "extra_forbidden":
        return _unknown_key(tuple(error["loc"]))
    if kind == "literal_error" and field == "hosting" and (feature := _unsupported_feature(error["input"])):
        return f"{feature}; hosting is {error['ctx']['expected']}"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_pattern_mismatch" and field == "name":
        return f"{_shown(error['input'])!r} is not a valid SageMaker name (letters, digits and hyphens, starting with a letter or digit, at most 63)"
    if kind == "string_pattern_mismatch" and field in ("kms_key_arn", "artifact_kms_key_arn"):
        return f"{_shown(error['input'])!r} is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not a key)"
    if kind == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return f"expected {_PATTERN_HINTS[field]}, found {_found(error['input'])}"
    if kind in _EXPECTED_TYPES:
        return f"expected {_EXPECTED_TYPES[kind]}, found {_found(error['input'])}"
    if kind == "literal_error":
        return f"expected {error['ctx']['expected']}, found {_found(error['input'])}"
    if kind == "too_short" and "min_length" in error.get("ctx", {}):
        count = error["ctx"]["min_length"]
        return f"needs at least {count} item{'' if count == 1 else 's'}"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        limit = error["ctx"][bound]  # a float on a float field: 0.0
        return f"expected {words} {int(limit) if float(limit).is_integer() else limit}, found {_found(error['input'])}"
    return message.removeprefix("Value error, ")


# pydantic's range errors: the bound in the error's ctx and how to say it
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
}


def _problems_from_pydantic(errors: list[Any], document: Any) -> list[Problem]:
    """One problem per field; of a union's branches, keep only the one the user evidently meant; no "required" for a
    key written misspelt (`versoin` is reported, `version` is not)."""
    misspelt = {error["loc"][:-1] + (_closest_key(error["loc"]),) for error in errors if error["type"] == "extra_forbidden"}
    errors = [error for error in errors if not (error["type"] == "missing" and tuple(error["loc"]) in misspelt)]
    located = [(_location(tuple(error["loc"]), document), _message(error), any(map(_is_union_branch, error["loc"]))) for error in errors]
    deeper = {location for location, _, _ in located}
    problems: dict[str, list[str]] = {}
    for location, message, in_union in located:
        went_another_way = in_union and any(other.startswith(location + ".") for other in deeper)
        if not went_another_way and message not in problems.setdefault(location, []):
            problems[location].append(message)
    return [
        Problem(location, _UNION_HINTS.get(location.rsplit(".", 1)[-1], " or ".join(messages)) if len(messages) > 1 else messages[0])
        for location, messages in problems.items()
        if messages
    ]


# Keys (of the portfolio, a pool or a model) and hosting values that name a SageMaker feature loadmaster does not
# support yet, however they are cased or separated (`data_capture`, `DataCaptureConfig`, `multi-model`).
_UNSUPPORTED_FEATURES = {
    "SageMaker Asynchronous Inference": ("async", "asynchronous", "async_inference", "async_inference_config"),
    "SageMaker data capture": ("data_capture", "data_capture_config"),
    "SageMaker shadow variants": ("shadow", "shadow_variants", "shadow_production_variants", "shadow_test"),
    "several production variants on one endpoint": ("variants", "production_variants"),
    "SageMaker multi-model endpoints": ("multi_model", "multi_model_endpoint", "multi_model_config"),
    "multi-container endpoints and inference pipelines": ("containers", "multi_container", "inference_pipeline", "pipeline"),
    "SageMaker Batch Transform": ("batch", "batch_transform", "transform"),
    "SageMaker Clarify online explainability": ("explainer", "explainer_config"),
    "inference-component adapters": ("adapter", "adapters", "base_inference_component", "base_inference_component_name"),
    "SageMaker Model Registry packages": ("model_package", "model_package_name"),
}
_FEATURE_BY_SPELLING = {re.sub(r"[^a-z0-9]", "", spelling): feature for feature, spellings in _UNSUPPORTED_FEATURES.items() for spelling in spellings}
# Where a whole SageMaker feature would be written; deeper down (`deployment.batch`) a key is only misspelt.
_FEATURE_LEVELS = (Portfolio, PoolSpec, ModelSpec)


def _unsupported_feature(written: Any) -> str | None:
    """"`data_capture` (SageMaker data capture) is not supported by loadmaster yet", or None."""
    feature = _FEATURE_BY_SPELLING.get(re.sub(r"[^a-z0-9]", "", written.lower())) if isinstance(written, str) else None
    return f"`{_shown(written)}` ({feature}) is not supported by loadmaster yet" if feature else None


def _unknown_key(loc: tuple[Any, ...]) -> str:
    key = loc[-1]
    feature = _unsupported_feature(key) if _spec_at(loc[:-1]) in _FEATURE_LEVELS else None
    if feature:
        return feature
    closest = _closest_key(loc)
    if closest is not None:
        return f"unknown key `{_shown(str(key))}`: did you mean `{closest}`?"
    return "unknown key (check its spelling)"


def _closest_key(loc: tuple[Any, ...]) -> str | None:
    """The key of that object a misspelt key most resembles (`per_cpy` -> `per_copy`), if any is close."""
    spec = _spec_at(loc[:-1])
    if spec is None or not isinstance(loc[-1], str):
        return None
    matches = difflib.get_close_matches(loc[-1].lower(), list(spec.model_fields), n=1)
    return matches[0] if matches else None


def _spec_at(loc: tuple[Any, ...]) -> type[Spec] | None:
    """The spec class of the object at `loc` (`('models', 2, 'per_copy')` -> PerCopy), following pydantic's loc."""
    spec: type[Spec] | None = Portfolio
    for part in loc:
        if isinstance(part, int):  # an item of a list
            continue
        if part in _SPEC_CLASSES:  # the branch of a union pydantic tried
            spec = _SPEC_CLASSES[part]
            continue
        field = spec.model_fields.get(part) if spec is not None else None
        if field is None:
            return None
        inner = _specs_in(field.annotation)
        spec = inner[0] if len(inner) == 1 else None
    return spec


def _specs_in(annotation: Any) -> list[type[Spec]]:
    """The spec classes an annotation holds: `list[PoolSpec]` -> [PoolSpec], `str | FrameworkImage` -> [FrameworkImage]."""
    if isinstance(annotation, type) and issubclass(annotation, Spec):
        return [annotation]
    return [spec for argument in typing.get_args(annotation) for spec in _specs_in(argument)]


_UNION_HINTS = {
    "image": "expected an ECR image URI or a mapping {framework, version}",
    "scaling": "expected a mapping {metric, target, scale_in_cooldown_s, scale_out_cooldown_s} or none",
}


def _semantic_problems(items: _Items, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    catalog = catalog.with_reserve(items.reserve)
    pools = {pool.name: pool for _, pool in items.pools}
    # A malformed pool is still defined (its own problems are reported); when `pools` is not a list, nothing is known.
    defined_pools = None if items.pool_names is None else {name for _, name in items.pool_names}
    problems += _duplicate_names("pools", items.pool_names or [])
    problems += _duplicate_names("models", items.model_names or [])
    for name in items.prices:
        if name not in catalog:
            problems.append(Problem(f"prices.{name}", "unknown instance type (not in the instance catalog)"))
    problems += _quota_key_problems(items.quotas, catalog)
    for name in items.storage_gb:
        if name not in catalog:
            problems.append(Problem(f"storage_gb.{name}", "unknown instance type (not in the instance catalog)"))
        elif catalog[name].has_local_nvme:
            problems.append(Problem(f"storage_gb.{name}", f"{name} has local NVMe storage ({catalog[name].nvme_storage_gb} GB), "
                                    "where SageMaker attaches no EBS volume: remove it"))
    problems += _image_region_problems(items)

    problems += _key_region_problems("artifact_kms_key_arn", items.artifact_kms_key_arn, items.region)

    for index, pool in items.pools:
        where = f"pools[{index}] ({pool.name})"
        problems += _name_length(where, items.name, pool.name)
        if pool.instance_type is not None and pool.instance_type not in catalog:
            problems.append(Problem(f"{where}.instance_type", _unknown_instance_type(pool.instance_type, catalog)))

    for index, model in items.models:
        where = f"models[{index}] ({model.name})"
        problems += _name_length(where, items.name, model.name)
        problems += _image_problems(where, model, items.region)
        problems += _artifact_key_problems(where, model, items.region)
        if model.artifact is not None and not S3_URI.match(model.artifact):
            problems.append(Problem(f"{where}.artifact", f"{model.artifact!r} is not an s3://bucket/key URI"))
        hosting = model.hosting if model.hosting != "auto" else pinned_hosting(model)
        if model.hosting == "auto":
            problems += _auto_problems(where, model)
        if hosting == "inference-component":
            problems += _inference_component_problems(where, model, pools, defined_pools, catalog)
        elif hosting == "dedicated":
            problems += _dedicated_problems(where, model, catalog)
            problems += _endpoint_name_taken_by_a_pool(where, items, model.name)
        elif hosting == "serverless":
            problems += serverless_problems(where, model)
            problems += _endpoint_name_taken_by_a_pool(where, items, model.name)
        if hosting in ("inference-component", "dedicated"):
            problems += _misplaced(where, model, HOSTING_ONLY_FIELDS["serverless"], hosting)
        problems += _scaling_problems(where, model, hosting)
        problems += _device_problems(where, model, pools, catalog)
    return problems


def _device_problems(where: str, model: ModelSpec, pools: dict[str, PoolSpec], catalog: Catalog) -> list[Problem]:
    """`devices` against what else the model says of its hardware: accelerators per copy, a pinned instance type."""
    if model.devices is None:
        return []
    devices = model.devices
    if len(set(devices)) < len(devices):
        return [Problem(f"{where}.devices", f"lists a device twice: {devices}")]
    problems = []
    if model.per_copy is not None:
        if model.per_copy.accelerators and devices == [CPU]:
            problems.append(Problem(f"{where}.per_copy.accelerators", f"{model.per_copy.accelerators} accelerators per copy, but devices is [cpu]"))
        if not model.per_copy.accelerators and CPU not in devices:
            problems.append(Problem(f"{where}.devices", f"{devices} needs accelerators, but per_copy reserves none (accelerators: 0 runs on CPU)"))
    pool = pools.get(model.pool or "")
    pinned = pool.instance_type if pool else model.instance_type
    if pinned in catalog and catalog[pinned].device not in devices:
        problems.append(Problem(f"{where}.devices", f"{devices} does not include {catalog[pinned].device}, the hardware of {pinned}"))
    return problems


def _quota_key_problems(quotas: dict[str, Any], catalog: Catalog) -> list[Problem]:
    named = [quota.key for quota in NAMED_QUOTAS]
    problems = []
    for key in quotas:
        if key not in catalog and key not in named:
            closest = difflib.get_close_matches(key, [*named, *catalog.instance_types], n=1)
            hint = f"; did you mean `{closest[0]}`?" if closest else ""
            problems.append(Problem(f"quotas.{key}", f"neither an instance type of the catalog nor one of {', '.join(named)}{hint}"))
    return problems


def _image_region_problems(items: _Items) -> list[Problem]:
    """SageMaker pulls a model's image from Amazon ECR in the endpoint's region only ("the Docker image for inference
    container in Amazon EC2 Container Registry must be in the same region as the model or endpoint you are creating":
    SageMaker API reference, ContainerDefinition): an image elsewhere fails at deploy time."""
    regions: dict[str, list[tuple[int, str]]] = {}  # ECR image region -> (index, name) of the models whose image is there
    for index, model in items.models:
        match = ECR_IMAGE.match(model.image) if isinstance(model.image, str) else None
        if match:
            regions.setdefault(match["region"], []).append((index, model.name))
    if items.region is not None:
        return [
            Problem(f"models[{index}] ({name}).image", f"the image is in {region}, not in the portfolio's region {items.region}: "
                    f"SageMaker pulls images from Amazon ECR in the endpoint's region only; use the image's copy in {items.region}")
            for region, models in regions.items() if region != items.region
            for index, name in models
        ]
    if len(regions) > 1:
        where = "; ".join(f"{region} ({', '.join(name for _, name in models)})" for region, models in regions.items())
        return [Problem("region", f"not set, and the images are in several regions: {where}. SageMaker pulls images from Amazon ECR "
                        "in the endpoint's region only, so they cannot all deploy together; set region and keep every image there")]
    return []


def _artifact_key_problems(where: str, model: ModelSpec, region: str | None) -> list[Problem]:
    if model.artifact_kms_key_arn is not None and model.artifact is None:
        return [Problem(f"{where}.artifact_kms_key_arn", "names the key of the model's artifact, but the model has no artifact")]
    return _key_region_problems(f"{where}.artifact_kms_key_arn", model.artifact_kms_key_arn, region)


def _key_region_problems(location: str, key_arn: str | None, region: str | None) -> list[Problem]:
    """SageMaker reads an artifact from a bucket in its own region (CreateModel, ModelDataUrl), and S3 encrypts a
    bucket's objects with keys of the bucket's region only: a key of another region decrypts none of them."""
    match = re.match(KMS_KEY_ARN, key_arn or "")
    if match and region and match["region"] != region:
        return [Problem(location, f"the key is in {match['region']}, but the portfolio deploys to {region}, where S3 can only use keys of {region}")]
    return []


def _endpoint_name_taken_by_a_pool(where: str, items: _Items, name: str) -> list[Problem]:
    """A dedicated model's endpoint and a pool's are both named PORTFOLIO-NAME: SageMaker would refuse the second."""
    return [
        Problem(f"{where}.name", f"its dedicated endpoint would be named {items.name}-{name}, like the endpoint of pools[{index}]; rename one")
        for index, pool_name in items.pool_names or []
        if pool_name == name
    ][:1]


def _duplicate_names(field: str, names: list[tuple[int, str]]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for index, name in names:
        if name in seen:
            problems.append(Problem(f"{field}[{index}] ({name}).name", f"duplicate name, already used by {field}[{seen[name]}]"))
        seen.setdefault(name, index)
    return problems


def _name_length(where: str, portfolio_name: str, name: str) -> list[Problem]:
    full = f"{portfolio_name}-{name}"
    if len(full) > SAGEMAKER_NAME_MAX:
        return [Problem(f"{where}.name", f"the SageMaker name {_shown(full)!r} would be {len(full)} characters; the limit is {SAGEMAKER_NAME_MAX}")]
    return []


def _unknown_instance_type(name: str, catalog: Catalog) -> str:
    """Which known types the user probably meant: the sizes of the family named, else the closest spellings (the
    catalog has every SageMaker hosting type, too many to list)."""
    family = name.split(".")[1] if name.count(".") == 2 else None
    sizes = [instance.name.split(".")[2] for instance in catalog.instance_types.values() if instance.family == family]
    if sizes:
        return f"unknown instance type {name!r}; the catalog's ml.{family} sizes are {', '.join(sizes)}"
    close = difflib.get_close_matches(name, list(catalog.instance_types), n=3, cutoff=0.6)
    if close:
        return f"unknown instance type {name!r}; did you mean {' or '.join(close)}?"
    return f"unknown instance type {name!r}: not a SageMaker hosting instance type (they look like ml.g5.xlarge)"


def _image_problems(where: str, model: ModelSpec, region: str | None) -> list[Problem]:
    if isinstance(model.image, FrameworkImage):
        if region is None:
            return [Problem(f"{where}.image", "a framework image needs the portfolio's `region` to resolve its URI")]
        return []
    if not ECR_IMAGE.match(model.image):
        return [Problem(f"{where}.image", f"{model.image!r} is not an Amazon ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG])")]
    return []


# Fields only one hosting has: on a `hosting: auto` model, writing one of them decides the hosting.
HOSTING_ONLY_FIELDS = {
    "inference-component": ("pool", "per_copy", "copies"),
    "dedicated": ("instance_type", "instances", "network", "ssm_access"),
    "serverless": ("serverless",),
}
HOSTING_METRICS = {"inference-component": INFERENCE_COMPONENT_METRICS, "dedicated": DEDICATED_METRICS, "serverless": SERVERLESS_METRICS}


def hosting_pins(model: ModelSpec) -> list[tuple[str, str]]:
    """(hosting, field) for each field of an `auto` model that only one hosting has (the scaling metric included)."""
    pins = [(hosting, field) for hosting, fields in HOSTING_ONLY_FIELDS.items() for field in fields if field in model.model_fields_set]
    if isinstance(model.scaling, Scaling):
        pins += [(hosting, "scaling.metric") for hosting, metrics in HOSTING_METRICS.items() if model.scaling.metric in metrics]
    return pins


def pinned_hosting(model: ModelSpec) -> str | None:
    """The hosting an `auto` model's own fields decide, or None when they leave it to the planner (or conflict)."""
    hostings = {hosting for hosting, _ in hosting_pins(model)}
    return hostings.pop() if len(hostings) == 1 else None


def _auto_problems(where: str, model: ModelSpec) -> list[Problem]:
    pins = hosting_pins(model)
    if len({hosting for hosting, _ in pins}) > 1:
        written = ", ".join(f"{field} ({hosting})" for hosting, field in pins)
        return [Problem(f"{where}.hosting", f"auto, but fields of both hostings are written: {written}")]
    if not pins and model.size_gb is None:
        return [Problem(f"{where}.size_gb", "required for hosting: auto (the planner sizes the model from it)")]
    return []


def _misplaced(where: str, model: ModelSpec, fields: tuple[str, ...], hosting: str) -> list[Problem]:
    return [
        Problem(f"{where}.{field}", f"does not apply to hosting: {hosting}")
        for field in fields
        if field in model.model_fields_set
    ]


def _inference_component_problems(
    where: str, model: ModelSpec, pools: dict[str, PoolSpec], defined_pools: set[str] | None, catalog: Catalog
) -> list[Problem]:
    problems = _misplaced(where, model, HOSTING_ONLY_FIELDS["dedicated"], "inference-component")
    if model.deployment.strategy == "blue-green":
        problems.append(Problem(f"{where}.deployment.strategy", "inference components update by rolling copies; blue-green is for hosting: dedicated"))
    # no pool: the planner places the model
    if model.pool is not None and defined_pools is not None and model.pool not in defined_pools:
        known = ", ".join(sorted(defined_pools)) or "none defined"
        problems.append(Problem(f"{where}.pool", f"undefined pool {model.pool!r} (pools: {known})"))
    if model.per_copy is None and model.size_gb is None:
        problems.append(Problem(f"{where}.per_copy", "required unless size_gb is given for the planner to derive it"))
    pool = pools.get(model.pool or "")
    if pool is None or pool.instance_type not in catalog or model.per_copy is None:
        return problems
    instance = catalog[pool.instance_type]
    per_copy = model.per_copy
    if per_copy.accelerators and not instance.accelerators:
        problems.append(Problem(f"{where}.per_copy.accelerators", f"{pool.instance_type} has no accelerators"))
    elif per_copy.accelerators > instance.accelerators:
        problems.append(Problem(f"{where}.per_copy.accelerators", f"{per_copy.accelerators} accelerators do not fit {pool.instance_type} ({instance.describe_accelerators()})"))
    if per_copy.memory_mb > instance.usable_memory_mb:
        problems.append(Problem(f"{where}.per_copy.memory_mb", f"{per_copy.memory_mb} MB does not fit {pool.instance_type}: copies may reserve "
                                f"{instance.usable_memory_mb} of its {instance.memory_mb} MB of host memory ({instance.reserve.host_memory_percent:g} % kept, see `reserve:`)"))
    if per_copy.cpu_cores is not None and per_copy.cpu_cores > instance.usable_vcpu:
        problems.append(Problem(f"{where}.per_copy.cpu_cores", f"{per_copy.cpu_cores:g} CPU cores do not fit {pool.instance_type}: copies may reserve "
                                f"{instance.usable_vcpu:g} of its {instance.vcpu} vCPUs ({instance.reserve.cpu_percent:g} % kept, see `reserve:`)"))
    return problems


def _dedicated_problems(where: str, model: ModelSpec, catalog: Catalog) -> list[Problem]:
    problems = _misplaced(where, model, HOSTING_ONLY_FIELDS["inference-component"], "dedicated")
    if model.instance_type is not None and model.instance_type not in catalog:
        problems.append(Problem(f"{where}.instance_type", _unknown_instance_type(model.instance_type, catalog)))
    if model.instance_type is None and model.size_gb is None:
        problems.append(Problem(f"{where}.instance_type", "required unless size_gb is given for the planner to choose it"))
    if model.instances is not None and model.instances.min < 1:
        problems.append(Problem(f"{where}.instances.min", "a dedicated endpoint keeps at least 1 instance; scale to zero needs hosting: inference-component"))
    return problems


def serverless_problems(where: str, model: ModelSpec) -> list[Problem]:
    """What keeps a model off a serverless endpoint, each with SageMaker's reason (loadmaster.catalog.serverless)."""
    problems = _misplaced(where, model, HOSTING_ONLY_FIELDS["inference-component"] + HOSTING_ONLY_FIELDS["dedicated"], "serverless")
    needs_accelerators = model.devices is not None and CPU not in model.devices
    needed_mb = serverless_memory_needed_mb(model)
    reasons = serverless.reasons_not_serverless(accelerators=1 if needs_accelerators else 0, memory_mb=needed_mb or 0, payload_mb=payload_mb(model))
    fields = {"accelerators": "devices", "memory_mb": "size_gb", "payload_mb": "traffic.request_kb"}  # what the portfolio says each with
    problems += [Problem(f"{where}.{fields[argument]}", f"cannot be serverless: {reason}") for argument, reason in reasons.items()]
    config = model.serverless or ServerlessSpec()
    if config.memory_mb is not None and (problem := serverless.memory_size_problem(config.memory_mb)):
        problems.append(Problem(f"{where}.serverless.memory_mb", problem))
    elif config.memory_mb is not None and needed_mb and config.memory_mb < needed_mb:
        problems.append(Problem(f"{where}.serverless.memory_mb", f"{config.memory_mb} MB does not hold the model's {needed_mb:g} MB (size_gb x {SERVERLESS_WEIGHTS_OVERHEAD})"))
    provisioned = config.provisioned_concurrency
    if provisioned is not None and provisioned.min < 1:
        problems.append(Problem(f"{where}.serverless.provisioned_concurrency.min", "at least 1: an endpoint without provisioned concurrency leaves it out"))
    if provisioned is not None and config.max_concurrency is not None and provisioned.max > config.max_concurrency:
        problems.append(Problem(f"{where}.serverless.provisioned_concurrency.max", f"{provisioned.max} is above max_concurrency ({config.max_concurrency})"))
    if isinstance(model.scaling, Scaling) and provisioned is None:
        problems.append(Problem(f"{where}.scaling", "scales provisioned concurrency: set serverless.provisioned_concurrency, or leave scaling out (SageMaker scales on-demand containers itself)"))
    if "strategy" in model.deployment.model_fields_set and model.deployment.strategy == "rolling":
        problems.append(Problem(f"{where}.deployment.strategy", "serverless endpoints take blue-green updates only: SageMaker excludes them from rolling deployments"))
    return problems


# What a model's memory is sized from on a serverless endpoint: its weights with the runtime's room around them.
# loadmaster's judgement, as for host memory on instances.
SERVERLESS_WEIGHTS_OVERHEAD = 1.5


def payload_mb(model: ModelSpec) -> float | None:
    """A request's payload in MB as SageMaker's payload limits count them (MiB: the 6 MB real-time limit is 6291456
    bytes in botocore), from `traffic.request_kb` (10^3 bytes)."""
    return model.traffic.request_kb * 1000 / 2**20 if model.traffic and model.traffic.request_kb is not None else None


def serverless_memory_needed_mb(model: ModelSpec) -> float | None:
    return model.size_gb * 1024 * SERVERLESS_WEIGHTS_OVERHEAD if model.size_gb is not None else None


def _scaling_problems(where: str, model: ModelSpec, hosting: str | None) -> list[Problem]:
    problems = []
    allowed = HOSTING_METRICS.get(hosting or "")
    if isinstance(model.scaling, Scaling) and allowed and model.scaling.metric not in allowed:
        problems.append(Problem(f"{where}.scaling.metric", f"{model.scaling.metric} does not apply to hosting: {hosting} (use {' or '.join(allowed)})"))
    if model.scaling == "none" and model.copies is not None and model.copies.min == 0:
        problems.append(Problem(f"{where}.copies.min", "0 copies (scale to zero) needs scaling to wake the model up; scaling is none"))
    return problems


# Warnings: what a valid portfolio does that costs money for nothing or may not deploy. The plan adds what needs
# planning to know (loadmaster.planner.review).


def portfolio_warnings(portfolio: Portfolio, catalog: Catalog) -> list[Problem]:
    return _region_warnings(portfolio.region) + _idle_pool_warnings(portfolio, catalog)


def _region_warnings(region: str | None) -> list[Problem]:
    if region is None:
        return []
    if region not in aws_regions():
        closest = difflib.get_close_matches(region, sorted(aws_regions()), n=1)
        hint = f" (did you mean {closest[0]}?)" if closest else ""
        return [Problem("region", f"unknown region {region!r}: not an AWS region {BOTOCORE} knows{hint}")]
    if region not in sagemaker_regions():
        return [Problem("region", f"{BOTOCORE} knows no SageMaker endpoint in {region}: check that SageMaker hosting is offered there")]
    return []


def _idle_pool_warnings(portfolio: Portfolio, catalog: Catalog) -> list[Problem]:
    """A pool no model names still gets its endpoint. (One without instance_type is refused by the planner instead:
    there is nothing to size it from.)"""
    placed = {model.pool for model in portfolio.models}
    warnings = []
    for index, pool in enumerate(portfolio.pools):
        if pool.name in placed or pool.instance_type is None:
            continue
        instance = catalog[pool.instance_type]
        count = max(pool.instances.min, 1) if pool.instances else 1  # an endpoint is created with one instance at least
        price = instance.price_usd_per_hour
        basis = "your prices:" if pool.instance_type in portfolio.prices else "the catalog's on-demand price"
        cost = f" ({count} x {price:g} = {count * price:g} USD/h at {basis})" if price else ""
        warnings.append(Problem(f"pools[{index}] ({pool.name})", f"no model is placed on this pool: its endpoint runs {count} {pool.instance_type} "
                                f"instance{'s' if count > 1 else ''} for nothing{cost}; place a model on it or remove it"))
    return warnings
