"""SageMaker's naming rule and the form of a KMS key's ARN, shared by the portfolio's validation and the constructs."""

import re

# Endpoint, endpoint-config, model and inference-component names (botocore sagemaker service-2.json,
# shapes EndpointName and InferenceComponentName).
SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
SAGEMAKER_NAME_MAX = 63


def is_sagemaker_name(name: str) -> bool:
    return re.match(SAGEMAKER_NAME_PATTERN, name) is not None


# A KMS key's ARN, single-Region (a UUID) or multi-Region (mrk- and 32 hex digits); an alias names no key that IAM
# can grant on (AWS KMS developer guide, "Key identifiers (KeyId)").
KMS_KEY_ARN = r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"

# The production variant every endpoint loadmaster creates has: what its CloudWatch metrics (EndpointName,
# VariantName) and scalable targets name.
DEFAULT_VARIANT_NAME = "AllTraffic"
