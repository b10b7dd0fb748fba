"""The IAM role SageMaker assumes to run model containers, with least privilege."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct, DependencyGroup, IDependable
from loadmaster.naming import KMS_KEY_ARN
from policies.acknowledgements import acknowledge, wildcard_resource_finding

_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repository>[^:@]+)")
_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.*)$")
# Grants of one kind share a statement up to this many characters of resources (or prefixes), then start another:
# CDK merges statements up to the same size (aws-cdk-lib aws-iam merge-statements, MAX_MERGE_SIZE) so that a policy
# too large for a role can be split over managed policies, and no statement is larger than a managed policy can hold.
STATEMENT_BUDGET_CHARS = 2000
# A token (`${Token[AWS.Partition.9]}`) counts as this many characters, about what `{"Ref": "AWS::Partition"}`
# takes in the template: its text holds a number that grows with every token the app made before it, so counting
# the text would split the same grants differently from one synthesis to the next (a spurious change in review).
TOKEN_CHARS = 25
_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")


class ModelExecutionRole(Construct):
    """A role for SageMaker's model containers that starts with logs and metrics only.

    Each image and artifact a container needs is granted explicitly (`grant_image_pull`, `grant_artifact_read`),
    scoped to its ECR repository, its S3 prefix and, for an artifact encrypted with SSE-KMS, its key. The only `*`
    resources are the ones AWS requires: `ecr:GetAuthorizationToken` and `cloudwatch:PutMetricData` have no
    resource-level permissions.

    Every ARN takes the partition the stack deploys to (`AWS::Partition`: `aws`, `aws-cn`, `aws-us-gov`). Grants of
    one kind share statements of up to `STATEMENT_BUDGET_CHARS` (listings: one bucket's each), so a pool of a hundred
    models adds a few statements, not a hundred, and CDK can still split a policy too large for IAM's inline limit
    over managed policies.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self._grants = DependencyGroup()
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Runs loadmaster's model containers: logs, metrics, and the images and artifacts granted to it",
        )
        sagemaker_log_groups = _arn(service="logs", region=stack.region, account=stack.account, resource="log-group", resource_name="/aws/sagemaker/*", separator=":")
        self._add_statement(
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
        self._add_statement(
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
        self._filling: dict[str, _Filling] = {}  # by kind of grant: the statement that takes the next one
        self._granted: set[str] = set()

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    @property
    def grants(self) -> IDependable:
        """What a resource that uses the grants must be created after: the role's policy, and the managed policies CDK
        moves statements to when the policy outgrows what IAM allows inline (a large pool's)."""
        return self._grants

    def grant_container(self, image_uri: str, artifact_url: str | None, *, artifact_kms_key_arn: str | None = None) -> None:
        """What a model container needs at start: its image, and its artifact (with the key it is encrypted with) if it
        has one."""
        self.grant_image_pull(image_uri)
        if artifact_url:
            self.grant_artifact_read(artifact_url, kms_key_arn=artifact_kms_key_arn)

    def grant_image_pull(self, image_uri: str) -> None:
        """Pull `image_uri` from its ECR repository (AWS Deep Learning Container registries included).

        A repository in another account must also allow the pull in its repository policy (see the README)."""
        match = _ECR_IMAGE.match(image_uri)
        if not match:
            raise ValueError(f"{image_uri!r} is not an Amazon ECR image URI")
        repository_arn = _arn(service="ecr", region=match["region"], account=match["account"], resource="repository", resource_name=match["repository"])
        if not self._grant_once(f"ecr:{repository_arn}"):
            return
        self._allow("ecr", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], repository_arn)
        if self._grant_once("ecr:token"):
            self._add_statement(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))

    def grant_artifact_read(self, s3_uri: str, *, kms_key_arn: str | None = None) -> None:
        """Read the model artifact: every object under its prefix (the folder of a model.tar.gz, or the folder itself),
        and list the bucket under that prefix only. With `kms_key_arn`, decrypt with that key (`grant_decrypt`)."""
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
        if kms_key_arn:
            self.grant_decrypt(kms_key_arn)
        if not self._grant_once(f"s3:{bucket}/{prefix}"):
            return
        objects = f"{bucket}/{prefix}*"
        self._allow("s3:objects", ["s3:GetObject"], _s3_arn(objects))
        acknowledge(
            self.role,
            # The finding as cdk-nag names it (wildcard_resource_finding), written here: S3 ARNs name no region nor
            # account, so only the partition is a reference.
            f"AwsSolutions-IAM5[Resource::{_s3_arn(objects, partition='<AWS::Partition>')}]",
            f"SageMaker downloads every object of the model artifact's folder s3://{bucket}/{prefix} (a model.tar.gz "
            "and what sits beside it, or an uncompressed model's files): reads are limited to that prefix.",
        )
        self._allow_listing(bucket, prefix)

    def grant_decrypt(self, kms_key_arn: str) -> None:
        """Decrypt with the KMS key `kms_key_arn` (a key ARN, not an alias): what S3 asks of a reader of an object
        encrypted with SSE-KMS, and all it asks (AWS re:Post knowledge center, "decrypt-kms-encrypted-objects-s3").

        A key in another account must also allow the role in its key policy."""
        if not cdk.Token.is_unresolved(kms_key_arn) and not re.match(KMS_KEY_ARN, kms_key_arn):
            raise ValueError(f"{kms_key_arn!r} is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID)")
        if self._grant_once(f"kms:{kms_key_arn}"):
            self._allow("kms", ["kms:Decrypt"], kms_key_arn)

    def _allow(self, kind: str, actions: list[str], resource: str) -> None:
        """Allow `actions` on `resource`, in the statement of this kind of grant while it has room."""
        filling = self._filling.get(kind)
        if filling is None or not filling.has_room(resource):
            filling = self._filling[kind] = _Filling(self._add_statement(iam.PolicyStatement(actions=actions, resources=[resource])), _chars(resource))
        else:
            filling.statement.add_resources(resource)
            filling.size += _chars(resource)

    def _allow_listing(self, bucket: str, prefix: str) -> None:
        """List `bucket` under `prefix`. Each bucket has its statements, their condition naming the prefixes granted
        in it: a prefix of one bucket must not open the listing of another. StringLike's `*` also matches nothing, so
        the prefix itself is listed too."""
        kind, pattern = f"s3:listing:{bucket}", f"{prefix}*"
        filling = self._filling.get(kind)
        if filling is None or not filling.has_room(pattern):
            filling = self._filling[kind] = _Filling(self._add_statement(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[_s3_arn(bucket)])), _chars(bucket))
        filling.prefixes.append(pattern)
        filling.size += _chars(pattern)
        filling.statement.add_condition("StringLike", {"s3:prefix": sorted(filling.prefixes)})

    def _add_statement(self, statement: iam.PolicyStatement) -> iam.PolicyStatement:
        self._grants.add(self.role.add_to_principal_policy(statement).policy_dependable)
        return statement

    def _grant_once(self, key: str) -> bool:
        if key in self._granted:
            return False
        self._granted.add(key)
        return True


def _arn(*, service: str, region: str, account: str, resource: str, resource_name: str | None = None, separator: str = "/", partition: str | None = None) -> str:
    """An ARN in the partition the stack deploys to, `AWS::Partition` (unless `partition` names another): the same
    text for every region, never an `arn:aws:` that GovCloud (`aws-us-gov`) and China (`aws-cn`) would refuse.

    The text `cdk.Arn.format` makes, composed in Python: a pool's hundreds of grants then cost no round trip each to
    CDK's JavaScript."""
    arn = f"arn:{partition or _partition_reference()}:{service}:{region}:{account}:{resource}"
    return arn if resource_name is None else f"{arn}{separator}{resource_name}"


def _s3_arn(bucket_or_objects: str, partition: str | None = None) -> str:
    """S3 ARNs name no region nor account."""
    return _arn(service="s3", region="", account="", resource=bucket_or_objects, partition=partition)


@cache
def _partition_reference() -> str:
    """`AWS::Partition` in a string (CDK's token for it, the same in every stack)."""
    return cdk.Aws.PARTITION


@dataclass
class _Filling:
    """A statement that takes further grants of its kind while they fit in `STATEMENT_BUDGET_CHARS`."""

    statement: iam.PolicyStatement
    size: int
    prefixes: list[str] = field(default_factory=list)  # a listing's s3:prefix condition

    def has_room(self, resource: str) -> bool:
        return self.size + _chars(resource) <= STATEMENT_BUDGET_CHARS


def _chars(text: str) -> int:
    """The characters `text` counts for in a statement's budget, each token `TOKEN_CHARS` whatever its number."""
    stripped, tokens = _TOKEN.subn("", text)
    return len(stripped) + TOKEN_CHARS * tokens
