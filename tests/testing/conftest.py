"""The endpoint most tests of loadmaster.testing start from."""

from __future__ import annotations

import pytest

from ic_givens import create_pool


@pytest.fixture
def pool(sagemaker_client) -> str:
    """An endpoint of one ml.g5.12xlarge (4 GPUs, 48 vCPUs, 192 GiB) that managed scaling may take to 2."""
    return create_pool(sagemaker_client, max_instances=2)
