"""The IAM role SageMaker assumes to run model containers, with least privilege."""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct
from policies.acknowledgements import acknowledge, wildcard_resource_finding

_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repository>[^:@]+)")
_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.*)$")


class ModelExecutionRole(Construct):
    """A role for SageMaker's model containers that starts with logs and metrics only.

    Each image and artifact a container needs is granted explicitly (`grant_image_pull`, `grant_artifact_read`),
    scoped to its ECR repository and S3 prefix. The only `*` resources are the ones AWS requires:
    `ecr:GetAuthorizationToken` and `cloudwatch:PutMetricData` have no resource-level permissions.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Runs loadmaster's model containers: logs, metrics, and the images and artifacts granted to it",
        )
        sagemaker_log_groups = stack.format_arn(service="logs", resource="log-group", resource_name="/aws/sagemaker/*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[sagemaker_log_groups],
            )
        )
        acknowledge(
            self.role,
            wildcard_resource_finding(self, sagemaker_log_groups),
            "SageMaker creates and names the log groups and streams of each endpoint under /aws/sagemaker/ (for example "
            "/aws/sagemaker/Endpoints/<endpoint>): the role can write logs there and nowhere else.",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
            )
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudwatch:PutMetricData and ecr:GetAuthorizationToken have no resource-level permissions, so IAM accepts only "
            "Resource '*' for them (Service Authorization Reference); PutMetricData is limited to the SageMaker namespaces "
            "by its condition, and the only other '*' statement is GetAuthorizationToken.",
        )
        self._granted: set[str] = set()

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    @property
    def grants(self) -> Construct:
        """What a resource that uses the grants must be created after (the role's policy)."""
        return self.role.node.find_child("DefaultPolicy")

    def grant_container(self, image_uri: str, artifact_url: str | None) -> None:
        """What a model container needs at start: its image, and its artifact if it has one."""
        self.grant_image_pull(image_uri)
        if artifact_url:
            self.grant_artifact_read(artifact_url)

    def grant_image_pull(self, image_uri: str) -> None:
        """Pull `image_uri` from its ECR repository (AWS Deep Learning Container registries included)."""
        match = _ECR_IMAGE.match(image_uri)
        if not match:
            raise ValueError(f"{image_uri!r} is not an Amazon ECR image URI")
        repository_arn = cdk.Arn.format(
            cdk.ArnComponents(service="ecr", region=match["region"], account=match["account"], resource="repository", resource_name=match["repository"]),
            cdk.Stack.of(self),
        )
        if self._grant_once(f"ecr:{repository_arn}"):
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], resources=[repository_arn])
            )
        if self._grant_once("ecr:token"):
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))

    def grant_artifact_read(self, s3_uri: str) -> None:
        """Read the model artifact: every object under its prefix (the folder of a model.tar.gz, or the folder itself)."""
        match = _S3_URI.match(s3_uri)
        if not match:
            raise ValueError(f"{s3_uri!r} is not an s3://bucket/key URI")
        bucket, key = match["bucket"], match["key"]
        if key.endswith("/"):
            prefix = key
        elif "/" in key:
            prefix = key.rsplit("/", 1)[0] + "/"
        else:
            prefix = key  # an object at the bucket's root: that object only
        partition = cdk.Aws.PARTITION
        if not self._grant_once(f"s3:{bucket}/{prefix}"):
            return
        objects = f"arn:{partition}:s3:::{bucket}/{prefix}*"
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]))
        acknowledge(
            self.role,
            wildcard_resource_finding(self, objects),
            f"SageMaker downloads every object of the model artifact's folder s3://{bucket}/{prefix} (a model.tar.gz "
            "and what sits beside it, or an uncompressed model's files): reads are limited to that prefix.",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[f"arn:{partition}:s3:::{bucket}"],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )

    def _grant_once(self, key: str) -> bool:
        if key in self._granted:
            return False
        self._granted.add(key)
        return True
