"""SageMaker's per-account quotas a plan can run into: each in one place, with where its figure comes from.

A quota holds per account and region, for every endpoint there (other teams' too). A deploy or a scale-out beyond it
fails as a whole: "The account-level service limit 'ml.m4.xlarge for endpoint usage' is 0 Instances, with current
utilization of 0 Instances and a request delta of 1 Instances" (ResourceLimitExceeded; aws/amazon-sagemaker-examples
issue 307, awsdocs/amazon-sagemaker-developer-guide issue 70).

AWS lists the defaults in the General Reference ("Amazon SageMaker AI endpoints and quotas") and in the Service Quotas
console (service code `sagemaker`), and says an account's applied values may differ; new accounts have been reported
at 0 instances for types the documentation gives a default for (aws/amazon-sagemaker-examples issue 593). We could
not read a default from the documentation that holds for every account, so the figures below are loadmaster's
warning thresholds, not AWS's numbers: a portfolio states its account's applied values under `quotas:` (the keys
below), and the warnings compare with those instead (docs/aws-facts.md, "Warnings").

Other limits live where they are used: SageMaker's name rule in `loadmaster.naming`, CloudFormation's 500 resources per
stack in `stacks.partition`, the per-copy minimums and ranges in `loadmaster.portfolio`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    key: str  # its key under the portfolio's `quotas:`
    name: str  # what the Service Quotas console calls it
    warn_above: int  # loadmaster's threshold when the portfolio states no value (not an AWS default)


# Instances of one type across the account's endpoints.
INSTANCES_OF_A_TYPE_WARN_ABOVE = 4


def instances_of_type(instance_type: str) -> Quota:
    return Quota(instance_type, f"{instance_type} for endpoint usage", INSTANCES_OF_A_TYPE_WARN_ABOVE)


INSTANCES = Quota("instances", "instances across all endpoints", 20)
ENDPOINTS = Quota("endpoints", "endpoints", 100)
NAMED_QUOTAS = (INSTANCES, ENDPOINTS)

