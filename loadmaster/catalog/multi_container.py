"""Which instance types take a multi-container endpoint with direct invocation: CPU ones only.

The seed guidance on SageMaker hosting patterns says so, and so do reports of GPU attempts ("multi-container endpoints
are not possible on GPU": aws/sagemaker-huggingface-inference-toolkit issue 59). Serial pipelines are not restricted
here: we found no source that limits their instance types (docs/aws-facts.md, "Multi-container endpoints and serial
pipelines").
"""

from __future__ import annotations

from loadmaster.catalog import InstanceType


def direct_invocation_refusal(instance: InstanceType) -> str | None:
    """Why `instance` cannot run a multi-container endpoint with direct invocation, or None when it can."""
    if instance.accelerators:
        return f"{instance.name} has {instance.describe_accelerators()}: multi-container endpoints with direct invocation run on CPU instances only"
    return None
