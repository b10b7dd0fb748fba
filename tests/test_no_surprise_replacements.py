"""No surprise replacements: everyday changes to the example portfolio, diffed offline by the CDK CLI.

Each change is applied to the example's YAML, synthesized, and compared with the example's template by
`cdk diff --template` (the CLI's own replacement analysis, no AWS account involved). A replaced endpoint would drop
every request it serves while a new one starts, so no everyday change may replace an endpoint or an inference
component; what a change does replace is listed in `REPLACED` and printed as a table (`pytest -rP`).
"""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from loadmaster.review import cdk_diff as offline_cdk_diff
from loadmaster.synthesis import DEFAULT_PORTFOLIO

STACK = "codegen-platform-hosting"
NEVER_REPLACED = {"AWS::SageMaker::Endpoint", "AWS::SageMaker::InferenceComponent"}
PROJECT = Path(__file__).resolve().parent.parent


def model(document: dict, name: str) -> dict:
    return next(entry for entry in document["models"] if entry["name"] == name)


def pool(document: dict, name: str) -> dict:
    return next(entry for entry in document["pools"] if entry["name"] == name)


def newer_image(entry: dict) -> None:
    entry["image"] = entry["image"].replace(":0.29.0-", ":0.30.0-")


NEW_MODEL = {
    "name": "docgen",
    "image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",
    "artifact": "s3://codegen-models/docgen/model.tar.gz",
    "pool": "a10g-pool",
    "per_copy": {"accelerators": 1, "memory_mb": 8192, "cpu_cores": 2},
    "copies": {"min": 1, "max": 2},
}

# Each change, applied in place to the example's document.
CHANGES = {
    "scaling target of a component": lambda d: model(d, "blockgen")["scaling"].update(target=6),
    "scaling target of a dedicated endpoint": lambda d: model(d, "inline")["scaling"].update(target=12),
    "copy limits of a component": lambda d: model(d, "blockgen").update(copies={"min": 1, "max": 8}),
    "image of a component": lambda d: newer_image(model(d, "flowgpt")),
    "image of a dedicated endpoint": lambda d: newer_image(model(d, "inline")),
    "environment of a component": lambda d: model(d, "blockgen")["environment"].update(OPTION_MAX_MODEL_LEN="8192"),
    "environment of a dedicated endpoint": lambda d: model(d, "inline")["environment"].update(OPTION_MAX_MODEL_LEN="4096"),
    "instance limits of a pool": lambda d: pool(d, "a10g-pool").update(instances={"min": 2, "max": 6}),
    "adding a model first": lambda d: d["models"].insert(0, NEW_MODEL),
    "removing a model": lambda d: d["models"].remove(model(d, "flowgpt")),
    "reordering the models and pools": lambda d: (d["models"].reverse(), d["pools"].reverse()),
    "instance type of a pool": lambda d: pool(d, "a10g-pool").update(instance_type="ml.g6.12xlarge"),
}

# What each change replaces, by resource type. An endpoint config cannot change in place (FACTS.md: every property
# of a ProductionVariant forces a new one), and a dedicated endpoint's model cannot either; the endpoint then moves
# to the new config in place, without replacement.
DEDICATED_CONTAINER = ["AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Model"]
REPLACED = {
    "scaling target of a component": [],
    "scaling target of a dedicated endpoint": [],
    "copy limits of a component": [],
    "image of a component": [],
    "image of a dedicated endpoint": DEDICATED_CONTAINER,
    "environment of a component": [],
    "environment of a dedicated endpoint": DEDICATED_CONTAINER,
    "instance limits of a pool": ["AWS::SageMaker::EndpointConfig"],
    "adding a model first": [],
    "removing a model": [],
    "reordering the models and pools": [],
    "instance type of a pool": ["AWS::SageMaker::EndpointConfig"],
}

# A resource line of `cdk diff`: `[~] AWS::SageMaker::EndpointConfig Pool-a/Endpoint/Config PoolaEndpointConfig0C66 replace`
RESOURCE_LINE = re.compile(r"^\[(?P<change>[-+~])\] (?P<type>AWS::[\w:]+) (?P<rest>.*)$")


@dataclass(frozen=True)
class Diff:
    output: str

    def resources(self, change: str, outcome: str = "") -> list[str]:
        """The resource types of the lines with `change` (`+`, `-` or `~`) whose outcome ends with `outcome`."""
        found = []
        for line in self.output.splitlines():
            match = RESOURCE_LINE.match(line)
            if match and match["change"] == change and match["rest"].endswith(outcome):
                found.append(match["type"])
        return found

    @property
    def replaced(self) -> list[str]:
        # "may be replaced" counts: the CLI cannot rule the replacement out.
        return sorted(set(self.resources("~", " replace") + self.resources("~", " may be replaced")))


@dataclass(frozen=True)
class Variant:
    template: dict
    diff: Diff


@pytest.fixture(scope="module")
def variants(example_stacks, tmp_path_factory) -> dict[str, Variant]:
    """Given the example's synthesized template, each change synthesized and `cdk diff`ed against it."""
    from loadmaster.planner.make import plan_file
    from loadmaster.synthesis import synthesize

    (baseline,) = example_stacks
    example = yaml.safe_load(DEFAULT_PORTFOLIO.read_text())
    workdir = tmp_path_factory.mktemp("variants")
    assemblies = {}
    for index, (name, change) in enumerate(CHANGES.items()):
        document = copy.deepcopy(example)
        change(document)
        portfolio = workdir / f"variant-{index}.yaml"
        portfolio.write_text(yaml.safe_dump(document, sort_keys=False))
        assemblies[name] = workdir / f"variant-{index}.out"
        synthesize(plan_file(portfolio), assemblies[name])
    with ThreadPoolExecutor(max_workers=3) as pool:
        outputs = dict(zip(assemblies, pool.map(lambda assembly: cdk_diff(assembly, baseline.template_file, workdir), assemblies.values())))
    found = {name: Variant(json.loads((assemblies[name] / f"{STACK}.template.json").read_text()), Diff(outputs[name])) for name in CHANGES}
    width = max(map(len, found))
    print("\nWhat each change replaces (cdk diff --template):")
    for name, variant in found.items():
        print(f"  {name:<{width}}  {', '.join(variant.diff.replaced) or 'nothing'}")
    return found


def cdk_diff(assembly: Path, template: Path, workdir: Path) -> str:
    """`cdk diff` of the assembly's stack against `template`, offline, as `loadmaster review` runs it."""
    return offline_cdk_diff(assembly, template, STACK, workdir)


@pytest.mark.parametrize("change", [name for name in CHANGES if name != "instance type of a pool"])
def test_no_everyday_change_replaces_an_endpoint_or_an_inference_component(variants, change):
    assert not set(variants[change].diff.replaced) & NEVER_REPLACED, variants[change].diff.output


def test_the_changes_that_replace_something_replace_exactly_the_listed_resource_types(variants):
    assert {name: variant.diff.replaced for name, variant in variants.items()} == REPLACED


def test_every_change_shows_in_the_diff(variants):
    # Guards the parsing of the CLI's output: a diff read as empty would pass every replacement test. Reordering is
    # the one change with nothing to show (below).
    silent = [name for name, variant in variants.items() if not any(variant.diff.resources(change) for change in "+-~")]

    assert silent == ["reordering the models and pools"]


def test_reordering_models_changes_nothing_not_even_the_execution_role_policies(example_stacks, variants):
    # A role's grants of one kind share statements, whose prefixes are sorted and whose resources CDK sorts when
    # it merges them: the order of the pool's models is not in the template.
    (baseline,) = example_stacks

    assert variants["reordering the models and pools"].template == baseline.template


def test_removing_a_model_destroys_only_its_own_resources(variants):
    removed = variants["removing a model"].diff

    assert "AWS::SageMaker::InferenceComponent" in removed.resources("-")
    assert "AWS::SageMaker::Endpoint" not in removed.resources("-")


@pytest.mark.parametrize("change", ["adding a model first", "reordering the models and pools"])
def test_logical_ids_and_physical_names_stay_when_models_are_added_or_reordered(example_stacks, variants, change):
    (baseline,) = example_stacks
    before, after = named_resources(baseline.template), named_resources(variants[change].template)

    assert before.items() <= after.items()


def named_resources(template: dict) -> dict[str, tuple[str, str | None]]:
    """Logical id -> (type, physical name) of every resource; the name is the explicit EndpointName or
    InferenceComponentName, None for the resources CloudFormation names."""
    name_property = {"AWS::SageMaker::Endpoint": "EndpointName", "AWS::SageMaker::InferenceComponent": "InferenceComponentName"}
    return {
        logical_id: (resource["Type"], resource.get("Properties", {}).get(name_property.get(resource["Type"], "")))
        for logical_id, resource in template["Resources"].items()
    }
