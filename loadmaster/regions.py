"""AWS regions as the installed botocore knows them, to warn about a portfolio `region` that is not one.

botocore ships the list of every partition's regions (`data/partitions.json`, aws, aws-cn, aws-us-gov and the
isolated partitions) and the regions each service has an endpoint in (`data/endpoints.json`). Both are as recent as
the pinned botocore: a region announced later is unknown to it, hence warnings, not errors.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

import botocore
import botocore.loaders
import botocore.session

BOTOCORE = f"botocore {botocore.__version__}"


@cache
def aws_regions() -> frozenset[str]:
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    # Each partition also lists a pseudo-region for its global endpoints (aws-global, aws-cn-global, ...).
    return frozenset(region for partition in partitions for region in partition["regions"] if not region.endswith("-global"))


@cache
def sagemaker_regions() -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(
        region for partition in session.get_available_partitions() for region in session.get_available_regions("sagemaker", partition)
    )


INFERENCE_COMPONENT_TYPE = "AWS::SageMaker::InferenceComponent"


def region_has_resource_type(region: str, resource_type: str) -> bool:
    """Whether CloudFormation in `region` has `resource_type`, by its resource provider schemas as the pinned cfn-lint
    ships them (the list CDK's synthesis checks against too). A region the schemas do not know is given the benefit of
    the doubt (cfn-lint reads it as us-east-1): the region warnings speak of it."""
    return resource_type in _provider_types(region)


@cache
def _provider_types(region: str) -> frozenset[str]:
    """The resource types of `region`'s provider schemas: cfn-lint's `data/schemas/providers/<region>.json`, the map
    its schema manager reads (`_load_provider_module`, falling back to us-east-1's), read without importing cfn-lint:
    its import costs more than a second of every plan and synthesis."""
    (package,) = importlib.util.find_spec("cfnlint").submodule_search_locations  # found, not imported
    providers = Path(package) / "data" / "schemas" / "providers"
    mapping = providers / f"{region}.json" if (providers / f"{region}.json").exists() else providers / "us-east-1.json"
    return frozenset(json.loads(mapping.read_text(encoding="utf-8")))
