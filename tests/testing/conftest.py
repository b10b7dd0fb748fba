"""The endpoint most tests of loadmaster.testing start from.

A good test here pins what a user of the mock relies on, as the real service behaves: the exact error code and
message of every refusal (its negative test beside each guard), limits both at the limit and one step beyond, and
paths with several elements (components, endpoints, variants, targets, policies), so that a flipped comparison, a
dropped condition or an `all` turned `any` fails a test (`make mutation MODULES=testing` measures it). Times, ids
and orders are asserted from distinct moments and distinct resources, never from one clock reading or one resource.
"""

from __future__ import annotations

import pytest

from ic_givens import create_pool


@pytest.fixture
def pool(sagemaker_client) -> str:
    """An endpoint of one ml.g5.12xlarge (4 GPUs, 48 vCPUs, 192 GiB) that managed scaling may take to 2."""
    return create_pool(sagemaker_client, max_instances=2)
