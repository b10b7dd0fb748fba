"""The execution role: every ARN in the stack's partition, listings limited to the artifacts' prefixes, one statement
per kind of grant however many models share it, and decrypt on the artifacts' KMS key only."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from constructs.model_execution_role import STATEMENT_BUDGET_CHARS, ModelExecutionRole
from loadmaster.plan import ContainerDefinition

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
ARTIFACT_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARTITION = {"Ref": "AWS::Partition"}


def statements(stack: cdk.Stack) -> list[dict]:
    """The role's statements, in its policy and in the managed policies CDK moves them to when it grows too large."""
    template = Template.from_stack(stack)
    policies = [*template.find_resources("AWS::IAM::Policy").values(), *template.find_resources("AWS::IAM::ManagedPolicy").values()]
    return [statement for policy in policies for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


def with_action(stack: cdk.Stack, action: str) -> list[dict]:
    return [statement for statement in statements(stack) if action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])]


def test_every_arn_the_role_builds_takes_the_partition_the_stack_deploys_to():
    # Given a stack without a region, which may deploy to any partition
    stack = cdk.Stack(cdk.App(), "Anywhere")
    role = ModelExecutionRole(stack, "Role")

    # When it is granted an image and an artifact
    role.grant_container(IMAGE, "s3://codegen-models/blockgen/model.tar.gz")

    # Then logs, repository, objects and bucket are ARNs of AWS::Partition, none written out
    def in_partition(*rest):
        return {"Fn::Join": ["", ["arn:", PARTITION, *rest]]}

    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like({"Action": Match.array_with(["logs:PutLogEvents"]), "Resource": in_partition(":logs:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":log-group:/aws/sagemaker/*")}),
                        Match.object_like({"Action": Match.array_with(["ecr:BatchGetImage"]), "Resource": in_partition(":ecr:us-east-1:763104351884:repository/djl-inference")}),
                        Match.object_like({"Action": "s3:GetObject", "Resource": in_partition(":s3:::codegen-models/blockgen/*")}),
                        Match.object_like({"Action": "s3:ListBucket", "Resource": in_partition(":s3:::codegen-models")}),
                    ]
                )
            }
        },
    )
    assert "arn:aws:" not in json.dumps(statements(stack))


def test_listing_a_bucket_is_limited_to_the_prefixes_of_the_artifacts_in_it(stack):
    # Given artifacts in two buckets
    role = ModelExecutionRole(stack, "Role")
    role.grant_artifact_read("s3://codegen-models/blockgen/model.tar.gz")
    role.grant_artifact_read("s3://codegen-models/textevel/")
    role.grant_artifact_read("s3://team-b-models/flowgpt/model.tar.gz")

    # Then each bucket is listed under its own artifacts' prefixes only
    listings = {json.dumps(statement["Resource"]): statement["Condition"] for statement in with_action(stack, "s3:ListBucket")}
    assert listings == {
        json.dumps({"Fn::Join": ["", ["arn:", PARTITION, ":s3:::codegen-models"]]}): {"StringLike": {"s3:prefix": ["blockgen/*", "textevel/*"]}},
        json.dumps({"Fn::Join": ["", ["arn:", PARTITION, ":s3:::team-b-models"]]}): {"StringLike": {"s3:prefix": ["flowgpt/*"]}},
    }


def test_the_roles_wildcards_are_acknowledged_in_the_validation_report_each_with_its_reason(tmp_path):
    # Given a role reading one artifact, in an app checked by both compliance packs
    from stacks import CDK_JSON, add_compliance_checks

    app = cdk.App(outdir=str(tmp_path), context=json.loads(CDK_JSON.read_text())["context"])
    stack = cdk.Stack(app, "RoleStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    ModelExecutionRole(stack, "Role").grant_artifact_read("s3://codegen-models/blockgen/model.tar.gz")
    add_compliance_checks(app)

    # When it is synthesized
    app.synth()

    # Then the validation report gives reviewers the reason for each wildcard: the services without resource-level
    # permissions, and the artifact's folder
    report = json.loads((tmp_path / "validation-report.json").read_text())
    reasons = {violation["ruleName"]: violation["reason"] for plugin in report["pluginReports"] for violation in plugin.get("suppressedViolations", [])}
    assert reasons["AwsSolutions-IAM5[Resource::*]"] == (
        "cloudwatch:PutMetricData and ecr:GetAuthorizationToken have no resource-level permissions, so IAM accepts only "
        "Resource '*' for them (Service Authorization Reference); PutMetricData is limited to the SageMaker namespaces "
        "by its condition, and the only other '*' statement is GetAuthorizationToken.")
    assert reasons["AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::codegen-models/blockgen/*]"] == (
        "SageMaker downloads every object of the model artifact's folder s3://codegen-models/blockgen/ (a model.tar.gz "
        "and what sits beside it, or an uncompressed model's files): reads are limited to that prefix."
    )


def test_a_pool_of_a_hundred_models_sharing_a_bucket_adds_a_few_statements_not_a_hundred():
    # Given a hundred models of one repository and bucket, encrypted with one key, in an app without
    # `@aws-cdk/aws-iam:minimizePolicies` (the role must not rely on CDK merging its statements)
    stack = cdk.Stack(cdk.App(), "Pool")
    role = ModelExecutionRole(stack, "Role")
    for index in range(100):
        role.grant_container(IMAGE, f"s3://codegen-models/model-{index:03}/model.tar.gz", artifact_kms_key_arn=ARTIFACT_KEY)

    # Then pull, listing and decrypt are one statement each, and the hundred prefixes' objects fill a few statements, each
    # up to STATEMENT_BUDGET_CHARS and no further, each prefix once
    for action in ("ecr:BatchGetImage", "ecr:GetAuthorizationToken", "s3:ListBucket", "kms:Decrypt"):
        assert len(with_action(stack, action)) == 1, action
    (listing,) = with_action(stack, "s3:ListBucket")
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [f"model-{index:03}/*" for index in range(100)]
    objects = with_action(stack, "s3:GetObject")
    # A resource's length as the role measures it, before CDK renders the partition token.
    per_statement = STATEMENT_BUDGET_CHARS // len(f"arn:{cdk.Aws.PARTITION}:s3:::codegen-models/model-000/*")
    assert sorted((len(statement["Resource"]) for statement in objects), reverse=True) == [per_statement] * (100 // per_statement) + [100 % per_statement]
    assert sorted(json.dumps(resource) for statement in objects for resource in statement["Resource"]) == sorted(
        json.dumps({"Fn::Join": ["", ["arn:", PARTITION, f":s3:::codegen-models/model-{index:03}/*"]]}) for index in range(100)
    )


def test_components_are_created_after_every_policy_that_holds_their_grants(stack):
    # Given a pool whose role's policy outgrows IAM's inline limit, so that CDK moves statements to managed policies
    endpoint = InferenceComponentEndpoint(stack, "Pool", endpoint_name="pool", instance_type="ml.g5.12xlarge")
    for index in range(100):
        InferenceComponent(
            stack, f"Component{index}", endpoint=endpoint, component_name=f"model-{index}", memory_mb=1024,
            container=ContainerDefinition(IMAGE, f"s3://codegen-models/a-rather-long-folder-of-model-artifacts/model-{index:03}/model.tar.gz", {}),
        )

    # Then every component depends on the role's policy and on each managed policy holding its statements
    template = Template.from_stack(stack)
    overflow = set(template.find_resources("AWS::IAM::ManagedPolicy"))
    (default_policy,) = template.find_resources("AWS::IAM::Policy")
    assert overflow
    for component in template.find_resources("AWS::SageMaker::InferenceComponent").values():
        assert {default_policy, *overflow} <= set(component["DependsOn"])


def test_an_artifact_encrypted_with_a_kms_key_is_decrypted_with_that_key_only(stack):
    role = ModelExecutionRole(stack, "Role")

    role.grant_container(IMAGE, "s3://codegen-models/blockgen/model.tar.gz", artifact_kms_key_arn=ARTIFACT_KEY)
    role.grant_container(IMAGE, "s3://codegen-models/flowgpt/model.tar.gz", artifact_kms_key_arn=ARTIFACT_KEY)

    assert [statement for statement in statements(stack) if "kms" in json.dumps(statement["Action"])] == [
        {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": ARTIFACT_KEY}
    ]


def test_artifacts_encrypted_with_two_keys_are_decrypted_with_both(stack):
    role = ModelExecutionRole(stack, "Role")
    other_key = ARTIFACT_KEY.replace("1234abcd", "5678efab")

    role.grant_container(IMAGE, "s3://codegen-models/blockgen/model.tar.gz", artifact_kms_key_arn=ARTIFACT_KEY)
    role.grant_container(IMAGE, "s3://codegen-models/flowgpt/model.tar.gz", artifact_kms_key_arn=other_key)

    assert [statement["Resource"] for statement in with_action(stack, "kms:Decrypt")] == [[ARTIFACT_KEY, other_key]]


def test_a_key_of_the_stack_is_decrypted_with_by_its_reference(stack):
    from aws_cdk import aws_kms as kms

    key = kms.Key(stack, "ArtifactKey")

    ModelExecutionRole(stack, "Role").grant_decrypt(key.key_arn)

    ((logical_id, attribute),) = [statement["Resource"]["Fn::GetAtt"] for statement in with_action(stack, "kms:Decrypt")]
    assert (logical_id.startswith("ArtifactKey"), attribute) == (True, "Arn")


def test_an_artifact_without_a_kms_key_grants_no_kms_action(stack):
    ModelExecutionRole(stack, "Role").grant_container(IMAGE, "s3://codegen-models/blockgen/model.tar.gz")

    assert "kms:" not in json.dumps(statements(stack))


@pytest.mark.parametrize("key", ["alias/codegen-models", "arn:aws:kms:us-east-1:111122223333:alias/codegen-models", "1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_a_kms_key_named_other_than_by_its_arn_is_refused(stack, key):
    role = ModelExecutionRole(stack, "Role")

    with pytest.raises(ValueError, match="is not a KMS key ARN"):
        role.grant_container(IMAGE, "s3://codegen-models/blockgen/model.tar.gz", artifact_kms_key_arn=key)


def test_a_roles_statements_split_at_the_same_grant_whatever_number_the_partitions_token_has(monkeypatch):
    # Given the same hundred artifacts granted twice, the second time with the partition as a token numbered past
    # ten thousand: a token's text carries its number (`${Token[AWS.Partition.7]}`), which depends on how many
    # tokens the app made before it
    from constructs import model_execution_role

    def resources_per_statement() -> list[int]:
        stack = cdk.Stack(cdk.App(), "Pool", env=cdk.Environment(account="123456789012", region="us-east-1"))
        role = ModelExecutionRole(stack, "Role")
        for index in range(100):
            role.grant_artifact_read(f"s3://codegen-models/model-{index:03}/model.tar.gz")
        return [len(statement["Resource"]) for statement in with_action(stack, "s3:GetObject")]

    before = resources_per_statement()
    for _ in range(10_000):
        cdk.Token.as_string({"Ref": "Anything"})
    later = cdk.Token.as_string({"Ref": "AWS::Partition"})
    monkeypatch.setattr(model_execution_role, "_partition_reference", lambda: later)
    # Then the statements hold the same grants: a review shows no change that is not one
    assert resources_per_statement() == before and len(before) > 1
