"""The order CloudFormation deletes (and, reversed, creates) a template's resources in: each after everything that
depends on it, whichever way the template says so."""

from __future__ import annotations

import pytest

from loadmaster.testing.cloudformation import deletion_order, references
from loadmaster.testing.cloudformation_update import creation_order


def resource(properties: dict | None = None, depends_on: str | list[str] | None = None) -> dict:
    body: dict = {"Type": "AWS::SageMaker::InferenceComponent", "Properties": properties or {}}
    if depends_on is not None:
        body["DependsOn"] = depends_on
    return body


@pytest.mark.parametrize(
    "dependent",
    [
        resource({"EndpointName": {"Ref": "Endpoint"}}),
        resource({"EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}}),
        resource({"EndpointName": {"Fn::GetAtt": "Endpoint.EndpointName"}}),
        resource({"EndpointName": {"Fn::Sub": "${Endpoint}"}}),
        resource({"EndpointName": {"Fn::Sub": "${Endpoint.EndpointName}-copy"}}),
        resource({"EndpointName": {"Fn::Sub": ["${Name}", {"Name": "plain"}]}, "Tags": [{"Key": "of", "Value": {"Fn::Sub": ["${Endpoint.EndpointName}", {}]}}]}),
        resource({"Specification": {"Container": {"Environment": {"ENDPOINT": {"Fn::Join": ["", [{"Ref": "Endpoint"}]]}}}}}),
        resource(depends_on="Endpoint"),
        resource(depends_on=["Other", "Endpoint"]),
    ],
    ids=["Ref", "GetAtt list", "GetAtt string", "Sub", "Sub attribute", "Sub list", "nested in lists", "DependsOn", "DependsOn list"],
)
def test_a_dependent_is_deleted_before_what_it_depends_on_and_created_after_it(dependent):
    resources = {"Component": dependent, "Endpoint": resource(), "Other": resource()}
    assert deletion_order(resources).index("Component") < deletion_order(resources).index("Endpoint")
    assert creation_order(resources).index("Component") > creation_order(resources).index("Endpoint")


@pytest.mark.parametrize(
    "fragment",
    [{"EndpointName": "Endpoint"}, {"EndpointName": {"Fn::Sub": "${!Endpoint}"}}, {"Tags": [{"Key": "Ref", "Value": "Endpoint"}]}, []],
    ids=["plain string", "escaped Sub", "a key named Ref", "empty list"],
)
def test_naming_a_resource_without_a_reference_is_no_dependency(fragment):
    assert references(fragment) == set()


def test_references_to_parameters_and_pseudo_parameters_order_no_resource():
    # Given a component referring to a parameter and to the stack's name
    resources = {"Component": resource({"EndpointName": {"Ref": "EndpointParameter"}, "Tags": [{"Key": "stack", "Value": {"Ref": "AWS::StackName"}}]}),
                 "Endpoint": resource()}
    # When / Then only the template's resources are ordered
    assert sorted(deletion_order(resources)) == ["Component", "Endpoint"]
    assert references(resources["Component"]["Properties"]) == {"EndpointParameter", "AWS::StackName"}
