"""MultiContainerEndpoint (direct invocation) and PipelineEndpoint (a serial inference pipeline): several containers
in one model (`Containers`, `InferenceExecutionConfig.Mode`), on an endpoint of their own."""

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from constructs.multi_container_endpoint import MultiContainerEndpoint, PipelineEndpoint
from constructs.multi_container_model import InferenceExecution, MultiContainerModel
from loadmaster.plan import ContainerDefinition
from policies.scalable_capacity import ScalableCapacity
from stacks import add_compliance_checks

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ACCOUNT_ENDPOINT_ARN = ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:endpoint/{}"]]


def container(image=SKLEARN, artifact=None, **environment):
    return ContainerDefinition(image, artifact, environment)


def tabular_containers(count=2):
    return {f"model{index}": container(XGBOOST, f"s3://models/model{index}.tar.gz") for index in range(count)}


PIPELINE = {
    "features": container(SKLEARN, "s3://models/features.tar.gz", SAGEMAKER_PROGRAM="features.py"),
    "model": container(XGBOOST, "s3://models/churn.tar.gz"),
    "post": container(SKLEARN),
}


# One synthesized stack for what every template assertion reads, with both compliance packs (cfn-lint reads the same
# constructs in every-pattern's template: tests/test_async_hosting.py).


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("multi-container")))
    stack = cdk.Stack(app, "Containers", env=cdk.Environment(account="123456789012", region="us-east-1"))
    direct = MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers={"churn": container(XGBOOST, "s3://models/churn.tar.gz"),
                                    "fraud": container(SKLEARN, "s3://models/fraud.tar.gz")}, instance_type="ml.c5.large", initial_instance_count=2,
                                    isolation=_isolation(stack))
    pipeline = PipelineEndpoint(stack, "Churn", endpoint_name="churn", containers=PIPELINE, instance_type="ml.c5.xlarge", isolation=_isolation(stack))
    for endpoint in (direct, pipeline):
        capacity = ScalableCapacity.of_instances(endpoint, "Scaling", endpoint_name=endpoint.endpoint_name, variant_name=endpoint.variant_name,
                                                 endpoint=endpoint.endpoint, min_instances=1, max_instances=4)
        capacity.track_metric("TargetTracking", predefined_metric_type="SageMakerVariantInvocationsPerInstance", target_value=100,
                              scale_in_cooldown_s=300, scale_out_cooldown_s=60)
    direct.grant_invoke(iam.Role(stack, "FraudTeam", assumed_by=iam.AccountRootPrincipal()), "fraud")
    direct.grant_invoke(iam.Role(stack, "Platform", assumed_by=iam.AccountRootPrincipal()))
    add_compliance_checks(app)
    assembly = app.synth()
    return assembly, Template.from_json(json.loads(Path(assembly.directory, "Containers.template.json").read_text()))


def _isolation(stack):
    from constructs.endpoint_isolation import EndpointIsolation

    key = stack.node.try_find_child("Key") or kms.Key(stack, "Key", enable_key_rotation=True)
    return EndpointIsolation(kms_key=key)


def test_a_direct_endpoint_runs_a_model_of_named_containers_invoked_directly(synthesized):
    _, template = synthesized

    template.has_resource_properties("AWS::SageMaker::Model", {
        "InferenceExecutionConfig": {"Mode": "Direct"},
        "Containers": [
            {"ContainerHostname": "churn", "Image": XGBOOST, "ModelDataUrl": "s3://models/churn.tar.gz"},
            {"ContainerHostname": "fraud", "Image": SKLEARN, "ModelDataUrl": "s3://models/fraud.tar.gz"},
        ],
        "PrimaryContainer": Match.absent(),
    })
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({
        "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("TabularContainers"), "ModelName"]}, "InstanceType": "ml.c5.large", "InitialInstanceCount": 2, "InitialVariantWeight": 1})]})
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "tabular", "RetainAllVariantProperties": True})


def test_a_pipeline_runs_its_containers_in_order_as_a_serial_model(synthesized):
    _, template = synthesized

    template.has_resource_properties("AWS::SageMaker::Model", {
        "InferenceExecutionConfig": {"Mode": "Serial"},
        "Containers": [
            {"ContainerHostname": "features", "Image": SKLEARN, "ModelDataUrl": "s3://models/features.tar.gz", "Environment": {"SAGEMAKER_PROGRAM": "features.py"}},
            {"ContainerHostname": "model", "Image": XGBOOST, "ModelDataUrl": "s3://models/churn.tar.gz"},
            {"ContainerHostname": "post", "Image": SKLEARN},
        ],
    })
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "churn", "DeploymentConfig": Match.object_like({
        "AutoRollbackConfiguration": {"Alarms": [Match.any_value(), Match.any_value()]}})})


def test_the_execution_role_reads_every_containers_artifact(synthesized):
    _, template = synthesized

    statements = json.dumps(template.find_resources("AWS::IAM::Policy"))
    for artifact in ("models/churn.tar.gz", "models/fraud.tar.gz", "models/features.tar.gz"):
        assert artifact in statements


def test_grant_invoke_can_limit_a_caller_to_some_containers(synthesized):
    _, template = synthesized
    arn = {"Fn::Join": [ACCOUNT_ENDPOINT_ARN[0], [*ACCOUNT_ENDPOINT_ARN[1][:2], ACCOUNT_ENDPOINT_ARN[1][2].format("tabular")]]}

    template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": Match.string_like_regexp("FraudTeam")}], "PolicyDocument": {"Statement": [{
        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"], "Effect": "Allow", "Resource": arn,
        "Condition": {"StringEquals": {"sagemaker:TargetContainerHostname": ["fraud"]}}}]}})
    template.has_resource_properties("AWS::IAM::Policy", {"Roles": [{"Ref": Match.string_like_regexp("Platform")}], "PolicyDocument": {"Statement": [{
        "Action": Match.any_value(), "Effect": "Allow", "Resource": arn, "Condition": Match.absent()}]}})


def test_both_compliance_packs_pass_without_an_acknowledgement_of_their_own(synthesized):
    assembly, _ = synthesized
    report = json.loads(Path(assembly.directory, "validation-report.json").read_text())

    violations = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    suppressed = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin.get("suppressedViolations", [])}
    assert violations == set()
    assert {finding.partition("[")[0] for finding in suppressed} == {"AwsSolutions-IAM5"}


# Metrics and imports: no synthesis needed.


def test_each_container_has_its_own_invocation_metrics(stack):
    endpoint = MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(), instance_type="ml.c5.large")

    metrics = [endpoint.metric_container_invocations("model1"), endpoint.metric_container_invocation_5xx_errors("model1"),
               endpoint.metric_container_invocation_4xx_errors("model1"), endpoint.metric_container_latency("model0")]

    assert [(metric.namespace, metric.metric_name, metric.statistic, metric.dimensions) for metric in metrics] == [
        ("AWS/SageMaker", "Invocations", "Sum", {"EndpointName": "tabular", "VariantName": "AllTraffic", "ContainerName": "model1"}),
        ("AWS/SageMaker", "Invocation5XXErrors", "Sum", {"EndpointName": "tabular", "VariantName": "AllTraffic", "ContainerName": "model1"}),
        ("AWS/SageMaker", "Invocation4XXErrors", "Sum", {"EndpointName": "tabular", "VariantName": "AllTraffic", "ContainerName": "model1"}),
        ("AWS/SageMaker", "ContainerLatency", "p90", {"EndpointName": "tabular", "VariantName": "AllTraffic", "ContainerName": "model0"}),
    ]
    assert endpoint.metric_invocations().dimensions == {"EndpointName": "tabular", "VariantName": "AllTraffic"}


def test_a_metric_or_grant_of_a_container_the_endpoint_lacks_is_refused(stack):
    endpoint = MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(), instance_type="ml.c5.large")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())

    with pytest.raises(ValueError, match="no container 'model9'; its containers are model0, model1"):
        endpoint.metric_container_invocations("model9")
    with pytest.raises(ValueError, match="no container 'model9'"):
        endpoint.grant_invoke(caller, "model9")


def test_a_pipeline_has_each_containers_latency(stack):
    endpoint = PipelineEndpoint(stack, "Churn", endpoint_name="churn", containers=PIPELINE, instance_type="ml.c5.xlarge")

    assert endpoint.metric_container_latency("features").dimensions == {"EndpointName": "churn", "VariantName": "AllTraffic", "ContainerName": "features"}


def test_an_imported_endpoint_offers_the_same_grants_and_metrics(stack):
    imported = MultiContainerEndpoint.from_endpoint_name(stack, "Imported", "someone-elses")

    assert imported.metric_invocations().dimensions == {"EndpointName": "someone-elses", "VariantName": "AllTraffic"}


# The rules, each refused with its reason, every one at once.


def test_more_than_15_containers_and_a_gpu_instance_are_refused_with_every_reason_at_once(stack):
    with pytest.raises(ValueError) as raised:
        MultiContainerEndpoint(stack, "Tabular", endpoint_name="tab ular", containers=tabular_containers(16), instance_type="ml.g5.xlarge", initial_instance_count=0)

    message = str(raised.value)
    assert message.startswith("MultiContainerEndpoint: ")
    for problem in ("instance_type ml.g5.xlarge has 1 GPU", "run on CPU instances only", "Direct mode runs 2 to 15 containers in one model, got 16",
                    "endpoint_name 'tab ular' is not a valid SageMaker name", "initial_instance_count must be at least 1, got 0"):
        assert problem in message


def test_15_containers_on_a_cpu_instance_are_accepted(stack):
    endpoint = MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(15), instance_type="ml.m5.large")

    assert len(endpoint.hostnames) == 15


@pytest.mark.parametrize("instance_type", ["ml.inf2.xlarge", "ml.p4d.24xlarge"])
def test_any_accelerated_instance_is_refused_for_direct_invocation(stack, instance_type):
    with pytest.raises(ValueError, match=f"instance_type {instance_type} has .*CPU instances only"):
        MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(), instance_type=instance_type)


def test_an_unknown_instance_type_is_refused(stack):
    with pytest.raises(ValueError, match="'ml.c99.large' is not a SageMaker hosting instance type"):
        MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(), instance_type="ml.c99.large")


@pytest.mark.parametrize("count", [1, 16])
def test_a_pipeline_has_2_to_15_containers(stack, count):
    with pytest.raises(ValueError, match=f"Serial mode runs 2 to 15 containers in one model, got {count}"):
        PipelineEndpoint(stack, "Churn", endpoint_name="churn", containers=tabular_containers(count), instance_type="ml.c5.xlarge")


def test_a_multi_container_endpoint_has_more_than_one_container(stack):
    with pytest.raises(ValueError, match="Direct mode runs 2 to 15 containers in one model, got 1"):
        MultiContainerEndpoint(stack, "Tabular", endpoint_name="tabular", containers=tabular_containers(1), instance_type="ml.c5.large")


def test_a_container_hostname_must_be_a_hostname(stack):
    with pytest.raises(ValueError, match="container hostname 'pre_processing' is not a valid hostname"):
        PipelineEndpoint(stack, "Churn", endpoint_name="churn", containers={"pre_processing": container(), "model": container()}, instance_type="ml.c5.xlarge")


def test_a_pipeline_model_alone_serves_a_batch_transform_without_an_endpoint(stack):
    model = MultiContainerModel(stack, "Pipeline", containers=PIPELINE, mode=InferenceExecution.SERIAL)

    assert model.hostnames == ("features", "model", "post")
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SageMaker::Endpoint", 0)
    template.has_resource_properties("AWS::SageMaker::Model", {"InferenceExecutionConfig": {"Mode": "Serial"}, "Containers": Match.any_value()})


def test_a_model_of_one_container_alone_is_refused_in_its_own_name(stack):
    with pytest.raises(ValueError) as raised:
        MultiContainerModel(stack, "Pipeline", containers={"model": container()}, mode=InferenceExecution.SERIAL)

    assert str(raised.value) == "MultiContainerModel: Serial mode runs 2 to 15 containers in one model, got 1"


def test_the_containers_run_in_the_isolations_vpc_without_network_access(stack):
    from aws_cdk import aws_ec2 as ec2
    from constructs.endpoint_isolation import EndpointIsolation

    isolation = EndpointIsolation(
        subnets=[ec2.Subnet.from_subnet_id(stack, "Private", "subnet-0a1b2c3d")],
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Models", "sg-0a1b2c3d")],
        network_isolation=True,
    )

    PipelineEndpoint(stack, "Churn", endpoint_name="churn", containers=PIPELINE, instance_type="ml.c5.xlarge", isolation=isolation)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Model",
        {"VpcConfig": {"Subnets": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]}, "EnableNetworkIsolation": True},
    )
