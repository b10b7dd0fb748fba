"""The checks that need the whole file (names, pool references, regions, images, keys, quotas, storage, devices,
each hosting's fit on the instance catalog), and the warnings of a valid portfolio.

They run on every pool and model that is well-formed by itself, or but for unknown keys (then only on the fields it
does write), so that one run reports every problem of the file.
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from loadmaster.catalog import CPU, Catalog
from loadmaster.catalog.usable import DEFAULT_RESERVE, Reserve
from loadmaster.errors import Problem
from loadmaster.hostings.auto import AutoModel, auto_problems, pinned_hosting
from loadmaster.hostings.inference_component import PoolSpec
from loadmaster.hostings.pattern import request_of
from loadmaster.hostings.registry import PATTERNS
from loadmaster.limits import NAMED_QUOTAS
from loadmaster.naming import KMS_KEY_ARN, SAGEMAKER_NAME_MAX
from loadmaster.regions import BOTOCORE, aws_regions, sagemaker_regions
from loadmaster.spec.base import ECR_IMAGE, S3_URI, FrameworkImage, ModelSpec, unknown_instance_type
from loadmaster.spec.pydantic_errors import shown, without_hosting
from loadmaster.spec.schema import HostedModel, Portfolio

_MODEL = TypeAdapter(HostedModel)
_POOL = TypeAdapter(PoolSpec)


class Items(BaseModel):
    """What the whole-file checks look at, with each pool and model kept at its index in the file."""

    name: str
    region: str | None
    prices: dict[str, Any]
    reserve: Reserve = DEFAULT_RESERVE
    quotas: dict[str, Any] = {}
    artifact_kms_key_arn: str | None = None
    storage_gb: dict[str, Any] = {}
    pools: list[tuple[int, PoolSpec]]
    models: list[tuple[int, ModelSpec]]  # each of its hosting's class
    # The name of every item, well-formed or not, for duplicates and pool references; None when not a list.
    pool_names: list[tuple[int, str]] | None
    model_names: list[tuple[int, str]] | None
    # ("models", 2) for an item checked without its unknown keys
    without_unknown_keys: set[tuple[str, int]] = set()

    @classmethod
    def of(cls, portfolio: Portfolio) -> "Items":
        return cls(name=portfolio.name, region=portfolio.region, prices=portfolio.prices, reserve=portfolio.reserve, quotas=portfolio.quotas,
                   artifact_kms_key_arn=portfolio.artifact_kms_key_arn, storage_gb=portfolio.storage_gb,
                   pools=list(enumerate(portfolio.pools)), models=list(enumerate(portfolio.models)),
                   pool_names=[(index, pool.name) for index, pool in enumerate(portfolio.pools)],
                   model_names=[(index, model.name) for index, model in enumerate(portfolio.models)])

    @classmethod
    def well_formed(cls, document: dict[str, Any]) -> "Items":
        def parsed(key: str, spec: TypeAdapter[Any]) -> list[tuple[int, Any]]:
            items = document.get(key)
            result = []
            for index, item in enumerate(items if isinstance(items, list) else []):
                try:
                    result.append((index, spec.validate_python(item)))
                except ValidationError as error:  # already reported with its fields
                    known = _without_unknown_keys(item, error.errors())
                    if known is not None:
                        result.append((index, spec.validate_python(known)))
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
                   pools=parsed("pools", _POOL), models=parsed("models", _MODEL),
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
        *path, key = without_hosting(tuple(error["loc"]))
        node = item
        for part in path:
            node = node[part]
        del node[key]
    return item


def semantic_problems(items: Items, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    catalog = catalog.with_reserve(items.reserve)
    pools = {pool.name: pool for _, pool in items.pools}
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
            problems.append(Problem(f"{where}.instance_type", unknown_instance_type(pool.instance_type, catalog)))

    for index, model in items.models:
        where = f"models[{index}] ({model.name})"
        problems += _name_length(where, items.name, model.name)
        problems += _image_problems(where, model, items.region)
        problems += _artifact_key_problems(where, model, items.region)
        if model.artifact is not None and not S3_URI.match(model.artifact):
            problems.append(Problem(f"{where}.artifact", f"{model.artifact!r} is not an s3://bucket/key URI"))
        # An `auto` model whose keys decide its hosting is checked as that hosting's model.
        hosting = pinned_hosting(model) if isinstance(model, AutoModel) else model.hosting
        if isinstance(model, AutoModel):
            problems += auto_problems(where, model)
        if hosting in PATTERNS:
            problems += PATTERNS[hosting].model_problems(where, model, items, catalog)
        problems += _request_problems(where, model, hosting)
        problems += _device_problems(where, model, pools, catalog)
    return problems


def _request_problems(where: str, model: ModelSpec, hosting: str | None) -> list[Problem]:
    """A written (or pinned) hosting that cannot serve the model's `request:`, with the reason; `auto` weighs it."""
    request = request_of(model)
    refusals = PATTERNS[hosting].request_refusals(request) if request and hosting in PATTERNS else []
    if not refusals:
        return []
    serving = [name for name, pattern in PATTERNS.items() if not pattern.request_refusals(request)]
    instead = f": use hosting: {' or '.join(serving)} (or auto)" if serving else ""
    return [Problem(f"{where}.request", f"{hosting} cannot serve it: " + "; ".join(refusals) + instead)]


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


def _image_region_problems(items: Items) -> list[Problem]:
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
        return [Problem(f"{where}.name", f"the SageMaker name {shown(full)!r} would be {len(full)} characters; the limit is {SAGEMAKER_NAME_MAX}")]
    return []


def _image_problems(where: str, model: ModelSpec, region: str | None) -> list[Problem]:
    if isinstance(model.image, FrameworkImage):
        if region is None:
            return [Problem(f"{where}.image", "a framework image needs the portfolio's `region` to resolve its URI")]
        return []
    if not ECR_IMAGE.match(model.image):
        return [Problem(f"{where}.image", f"{model.image!r} is not an Amazon ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG])")]
    return []


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
