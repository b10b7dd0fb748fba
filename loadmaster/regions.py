"""AWS regions as the installed botocore knows them, to warn about a portfolio `region` that is not one.

botocore ships the list of every partition's regions (`data/partitions.json`, aws, aws-cn, aws-us-gov and the
isolated partitions) and the regions each service has an endpoint in (`data/endpoints.json`). Both are as recent as
the pinned botocore: a region announced later is unknown to it, hence warnings, not errors.
"""

from __future__ import annotations

from functools import cache

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
    the doubt: the region warnings speak of it."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError  # a few hundred ms: only for a region's portfolio

    try:
        PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type)
    except ResourceNotFoundError:
        return False
    except Exception:  # noqa: BLE001 - no schemas for the region at all
        return True
    return True
