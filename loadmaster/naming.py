"""SageMaker's naming rule, shared by the portfolio's validation and the constructs."""

import re

# Endpoint, endpoint-config, model and inference-component names (botocore sagemaker service-2.json,
# shapes EndpointName and InferenceComponentName).
SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
SAGEMAKER_NAME_MAX = 63


def is_sagemaker_name(name: str) -> bool:
    return re.match(SAGEMAKER_NAME_PATTERN, name) is not None

# The production variant every endpoint loadmaster creates has: what its CloudWatch metrics (EndpointName,
# VariantName) and scalable targets name.
DEFAULT_VARIANT_NAME = "AllTraffic"
