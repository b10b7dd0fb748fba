"""The bucket a construct creates for the results SageMaker writes (an async endpoint's responses, a batch transform's
outputs) when the portfolio names none: encrypted with the results' KMS key, SSL only, public access blocked,
access-logged to a second bucket; both retained when the stack is deleted (CDK's default for a bucket), since they
hold the user's data."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from policies.acknowledgements import acknowledge


def create_results_bucket(scope: Construct, key: kms.IKey, access_log_prefix: str) -> s3.Bucket:
    """The results bucket ("Output") and its access-log bucket ("OutputAccessLogs"), children of `scope`, its server
    access logs under `access_log_prefix` (the name of what writes the results)."""
    access_logs = s3.Bucket(scope, "OutputAccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
    acknowledge(access_logs, "AwsSolutions-S1", "This bucket receives the server access logs of the results bucket; logging its own writes would log without end.")
    return s3.Bucket(
        scope,
        "Output",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_log_prefix,
    )
