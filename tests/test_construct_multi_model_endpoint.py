"""MultiModelEndpoint: many models under one S3 prefix behind one shared container (`Mode: MultiModel`), its
instances scaled on the invocations of all of them (and the GPU's utilization on a GPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
TRITON = "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"
PREFIX = "s3://models/churn/"
ENDPOINT = "churn-models"


def make_endpoint(stack, id="Churn", **overrides):
    from constructs.multi_model_endpoint import MultiModelEndpoint

    from loadmaster.plan import ContainerDefinition

    container = overrides.pop("container", ContainerDefinition(SKLEARN, PREFIX, {"SAGEMAKER_PROGRAM": "inference.py"}))
    props = dict(endpoint_name=ENDPOINT, container=container, instance_type="ml.c5.large")
    return MultiModelEndpoint(stack, id, **{**props, **overrides})


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """A CPU endpoint with its storage key, scaled on invocations, and a caller limited to some models, synthesized
    once as `cdk synth` would with both compliance packs: (template, validation report, template file)."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms

    from constructs.endpoint_isolation import EndpointIsolation
    from loadmaster.multi_model import multi_model_scaling
    from stacks import CDK_JSON, add_compliance_checks

    outdir = tmp_path_factory.mktemp("multi-model") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=json.loads(CDK_JSON.read_text())["context"])
    stack = cdk.Stack(app, "MultiModelStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    endpoint = make_endpoint(stack, isolation=EndpointIsolation(kms_key=kms.Key(stack, "Storage", enable_key_rotation=True)))
    endpoint.autoscale(multi_model_scaling(1, 3, gpu=False))
    endpoint.grant_invoke(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()), target_models=["team-a/*", "shared.tar.gz"])
    add_compliance_checks(app)
    app.synth()
    template_file = outdir / "MultiModelStack.template.json"
    return Template.from_json(json.loads(template_file.read_text())), json.loads((outdir / "validation-report.json").read_text()), template_file


def statements_of_role(template: Template, role_prefix: str) -> list[dict]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_model_serves_every_artifact_under_the_prefix_in_multi_model_mode(synthesized):
    template, _, _ = synthesized

    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {
                "Image": SKLEARN,
                "ModelDataUrl": PREFIX,
                "Mode": "MultiModel",
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                "MultiModelConfig": Match.absent(),  # SageMaker's default: loaded models stay cached
            }
        },
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like({"InstanceType": "ml.c5.large", "InitialInstanceCount": 1, "ModelName": Match.any_value()})]},
    )
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": ENDPOINT, "RetainAllVariantProperties": True})


def test_the_execution_role_reads_under_the_prefix_and_nowhere_else(synthesized):
    template, _, _ = synthesized
    statements = statements_of_role(template, "ChurnExecutionRole")

    reads = [statement for statement in statements if statement["Action"] == "s3:GetObject"]
    listings = [statement for statement in statements if statement["Action"] == "s3:ListBucket"]

    assert [statement["Resource"] for statement in reads] == [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::models/churn/*"]]}]
    assert [statement["Condition"] for statement in listings] == [{"StringLike": {"s3:prefix": ["churn/*"]}}]


def test_a_caller_given_target_models_may_invoke_those_only(synthesized):
    template, _, _ = synthesized

    (statement,) = statements_of_role(template, "Caller")

    assert statement["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert statement["Resource"] == f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
    assert statement["Condition"] == {"StringLike": {"sagemaker:TargetModel": ["team-a/*", "shared.tar.gz"]}}


def test_the_instances_track_the_invocations_of_all_models_per_instance(synthesized):
    template, _, _ = synthesized

    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ResourceId": f"endpoint/{ENDPOINT}/variant/AllTraffic", "MinCapacity": 1, "MaxCapacity": 3})
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyName": f"endpoint-{ENDPOINT}-variant-AllTraffic-invocations-per-instance",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                "TargetValue": 70,
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    )
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)  # on a CPU, no GPU policy
    # under the construct path deployed endpoints have: another would replace the scalable target
    assert [name for name in template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")][0].startswith("ChurnScaling")


def test_the_endpoint_passes_both_compliance_packs_with_no_unacknowledged_finding(synthesized):
    _, report, _ = synthesized

    assert [violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]] == []


def test_cfn_lint_reports_nothing_on_the_template(synthesized):
    _, _, template_file = synthesized
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", str(template_file)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_on_a_gpu_the_triton_endpoint_also_tracks_gpu_utilization_under_its_own_policy_name(stack):
    from loadmaster.multi_model import multi_model_scaling
    from loadmaster.plan import ContainerDefinition

    endpoint = make_endpoint(stack, container=ContainerDefinition(TRITON, PREFIX, {}), instance_type="ml.g5.2xlarge")
    endpoint.autoscale(multi_model_scaling(1, 4, gpu=endpoint.gpu))

    template = Template.from_stack(stack)

    policies = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    assert sorted(policy["Properties"]["PolicyName"] for policy in policies.values()) == [
        f"endpoint-{ENDPOINT}-variant-AllTraffic-gpu-utilization",
        f"endpoint-{ENDPOINT}-variant-AllTraffic-invocations-per-instance",
    ]
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like({
                "CustomizedMetricSpecification": {
                    "Namespace": "/aws/sagemaker/Endpoints",
                    "MetricName": "GPUUtilization",
                    "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT}, {"Name": "VariantName", "Value": "AllTraffic"}],
                    "Statistic": "Average",
                },
                "TargetValue": 60,
            })
        },
    )


def test_the_endpoint_says_where_its_models_are_uploaded(stack):
    endpoint = make_endpoint(stack)

    assert endpoint.model_data_prefix == PREFIX


def test_model_caching_can_be_disabled(stack):
    make_endpoint(stack, model_cache=False)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Model", {"PrimaryContainer": Match.object_like({"Mode": "MultiModel", "MultiModelConfig": {"ModelCacheSetting": "Disabled"}})}
    )


def test_an_artifact_that_is_not_a_prefix_is_refused(stack):
    from loadmaster.plan import ContainerDefinition

    with pytest.raises(ValueError, match=r"^MultiModelEndpoint: container.artifact must be the S3 prefix the models lie under, s3://bucket/prefix/ \(ending in /\), got 's3://models/churn/model.tar.gz'$"):
        make_endpoint(stack, container=ContainerDefinition(SKLEARN, "s3://models/churn/model.tar.gz", {}))


def test_an_artifact_is_required(stack):
    from loadmaster.plan import ContainerDefinition

    with pytest.raises(ValueError, match=r"container.artifact must be the S3 prefix .* got None"):
        make_endpoint(stack, container=ContainerDefinition(SKLEARN, None, {}))


@pytest.mark.parametrize("instance_type", ["ml.g5.12xlarge", "ml.p4d.24xlarge", "ml.inf2.xlarge", "ml.g6.xlarge"])
def test_an_accelerated_type_the_triton_container_does_not_take_is_refused_with_the_types_it_takes(stack, instance_type):
    with pytest.raises(ValueError, match=rf"instance_type: {instance_type} is not an instance type multi-model endpoints run on: every CPU type, and of the accelerated ones only single-GPU types of the g4dn, g5, p2, p3 families"):
        make_endpoint(stack, instance_type=instance_type)


def test_an_unknown_instance_type_is_refused(stack):
    with pytest.raises(ValueError, match=r"instance_type 'ml.c5.huge' is not a SageMaker hosting instance type"):
        make_endpoint(stack, instance_type="ml.c5.huge")


def test_every_problem_is_reported_at_once_the_endpoints_own_first(stack):
    from loadmaster.plan import ContainerDefinition

    with pytest.raises(ValueError, match=r"^MultiModelEndpoint: endpoint_name 'churn models' is not a valid SageMaker name; initial_instance_count must be at least 1, got 0; container.artifact must be .*; instance_type: ml.g5.12xlarge is not"):
        make_endpoint(stack, endpoint_name="churn models", initial_instance_count=0, container=ContainerDefinition(SKLEARN, "models/churn/", {}), instance_type="ml.g5.12xlarge")


def test_scaling_of_anything_but_instances_is_refused(stack):
    from loadmaster.scaling import ScalableDimension, Scaling

    endpoint = make_endpoint(stack)

    with pytest.raises(ValueError, match=r"a multi-model endpoint scales its instances, not sagemaker:inference-component:DesiredCopyCount"):
        endpoint.autoscale(Scaling(ScalableDimension.COPIES, 1, 2))


def test_the_loading_metrics_are_per_variant_in_aws_sagemaker_and_the_instance_metrics_in_the_endpoints_namespace(stack):
    endpoint = make_endpoint(stack)
    variant = {"EndpointName": ENDPOINT, "VariantName": "AllTraffic"}

    loading = [endpoint.metric_model_loading_wait_time(), endpoint.metric_model_cache_hit_ratio(), endpoint.metric_model_unloads(),
               endpoint.metric_model_downloading_time(), endpoint.metric_model_loading_time()]
    instances = [endpoint.metric_loaded_model_count(), endpoint.metric_memory_utilization(), endpoint.metric_gpu_utilization()]

    assert [(metric.namespace, metric.metric_name, metric.statistic, metric.dimensions) for metric in loading] == [
        ("AWS/SageMaker", "ModelLoadingWaitTime", "Maximum", variant),
        ("AWS/SageMaker", "ModelCacheHit", "Average", variant),
        ("AWS/SageMaker", "ModelUnloadingTime", "SampleCount", variant),
        ("AWS/SageMaker", "ModelDownloadingTime", "Average", variant),
        ("AWS/SageMaker", "ModelLoadingTime", "Average", variant),
    ]
    assert [(metric.namespace, metric.metric_name, metric.dimensions) for metric in instances] == [
        ("/aws/sagemaker/Endpoints", name, variant) for name in ("LoadedModelCount", "MemoryUtilization", "GPUUtilization")
    ]


def test_an_imported_endpoint_grants_invoking_some_models_and_has_the_metrics(stack):
    from aws_cdk import aws_iam as iam

    from constructs.multi_model_endpoint import MultiModelEndpoint

    imported = MultiModelEndpoint.from_endpoint_name(stack, "Imported", "their-models")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    imported.grant_invoke(caller, target_models=["a.tar.gz"])

    (statement,) = statements_of_role(Template.from_stack(stack), "Caller")

    assert statement["Condition"] == {"StringLike": {"sagemaker:TargetModel": ["a.tar.gz"]}}
    assert imported.metric_model_cache_hit_ratio().dimensions == {"EndpointName": "their-models", "VariantName": "AllTraffic"}


def test_without_target_models_a_caller_may_invoke_every_model(stack):
    from aws_cdk import aws_iam as iam

    endpoint = make_endpoint(stack)
    endpoint.grant_invoke(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()))

    (statement,) = statements_of_role(Template.from_stack(stack), "Caller")

    assert "Condition" not in statement

