"""moto 5.2.5's own tests, as shipped and with loadmaster.testing, compared test by test.

    python tests/moto_suite/compare.py            # the whole selection (make moto-suite)
    python tests/moto_suite/compare.py --subset   # the part make test runs

Gets moto's sdist from PyPI (pinned by version and sha256) into .cache/, runs the selected test modules three
times: plain moto, every `mock_aws` replaced by `mock_sagemaker`, and the extension installed for the whole session
(`-p loadmaster.testing.installed`). Prints every test whose outcome differs from plain moto and exits 1 if any
does, apart from the differences listed in EXPECTED_DIFFERENCES, where loadmaster.testing follows AWS and moto's test
does not; those are printed with their reason, and one that no longer differs fails the run too.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

MOTO = "moto==5.2.5"
SDIST = "moto-5.2.5.tar.gz"
SDIST_SHA256 = "391857257d5dac144334013c2c10e599def5f0562f553e979160140bd7bd9cf6"
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
SUITE = CACHE / "moto-5.2.5"

WHOLE = [
    "tests/test_sagemaker",
    "tests/test_applicationautoscaling",
    "tests/test_cloudwatch",
    "tests/test_cloudformation",
    "tests/test_iam/test_iam_cloudformation.py",
]
# About a fifth of the whole's time: every service the extension extends, and CloudFormation with the stacks of
# SageMaker, CloudWatch and IAM resources; left out: CloudFormation's custom resources (Lambda, 40 % of the time),
# template validation, stack CRUD of other services, SageMaker's pipelines.
SUBSET = [
    "tests/test_sagemaker/test_sagemaker_endpoint.py",
    "tests/test_sagemaker/test_sagemaker_models.py",
    "tests/test_sagemaker/test_sagemaker_cloudformation.py",
    "tests/test_applicationautoscaling",
    "tests/test_cloudwatch/test_cloudwatch_alarms.py",
    "tests/test_cloudwatch/test_cloudwatch_cloudformation.py",
    "tests/test_cloudformation/test_cloudformation_depends_on.py",
    "tests/test_cloudformation/test_cloudformation_nested_stacks.py",
    "tests/test_cloudformation/test_stack_parsing.py",
    "tests/test_iam/test_iam_cloudformation.py",
]

MODES = {
    "plain": [],
    "mock_aws replaced by mock_sagemaker": ["-p", "replace_mock_aws"],
    "installed for the session": ["-p", "loadmaster.testing.installed"],
}

# Application Auto Scaling registers a SageMaker variant only if its endpoint exists ("Before you can use auto
# scaling, you must have already created an Amazon SageMaker model endpoint": SageMaker developer guide,
# endpoint-auto-scaling-prerequisites); these moto tests register variants of endpoints they never created.
_NO_ENDPOINT = "registers a SageMaker variant without creating its endpoint; AWS refuses that, loadmaster.testing too"
# CreateTransformJob needs its model ("ModelName must be the name of an existing Amazon SageMaker model": SageMaker API
# reference, CreateTransformJob); these moto tests start jobs of models they never created.
_NO_MODEL = "creates a transform job of a model it never created; AWS refuses that (Could not find model), loadmaster.testing too"
EXPECTED_DIFFERENCES = {
    "tests.test_applicationautoscaling.test_applicationautoscaling::test_register_scalable_target_resource_id_variations": _NO_ENDPOINT,
    "tests.test_applicationautoscaling.test_applicationautoscaling::test_describe_scaling_policies": _NO_ENDPOINT,
    "tests.test_applicationautoscaling.test_applicationautoscaling::test_delete_scaling_policies": _NO_ENDPOINT,
    "tests.test_applicationautoscaling.test_applicationautoscaling::test_deregister_scalable_target": _NO_ENDPOINT,
    "tests.test_sagemaker.test_sagemaker_transform::test_create_transform_job": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs_multiple": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs_with_name_filters": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs_paginated": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs_paginated_with_target_in_middle": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_list_transform_jobs_paginated_with_fragmented_targets": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_add_tags_to_transform_job": _NO_MODEL,
    "tests.test_sagemaker.test_sagemaker_transform::test_delete_tags_from_transform_job": _NO_MODEL,
}


def fetch_suite() -> None:
    """moto's tests from its sdist on PyPI, once."""
    if (SUITE / "tests").is_dir():
        return
    CACHE.mkdir(exist_ok=True)
    archive = CACHE / SDIST
    if not archive.exists():
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, "--dest", str(CACHE), MOTO], check=True)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        archive.unlink()
        sys.exit(f"{SDIST}: sha256 {digest}, expected {SDIST_SHA256}; removed it")
    with tarfile.open(archive) as sdist:
        wanted = [m for m in sdist.getmembers() if m.name.startswith("moto-5.2.5/tests/") or m.name == "moto-5.2.5/pyproject.toml"]
        sdist.extractall(CACHE, members=wanted, filter="data")


def run(mode: str, selection: list[str]) -> dict[str, str]:
    """Outcome (passed, failed, skipped) of each test, by `module::test`."""
    report = CACHE / f"moto-suite-{list(MODES).index(mode)}.xml"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "PYTHONDONTWRITEBYTECODE": "1"}
    # loadmaster's own fixtures stay out (-p no:loadmaster-testing): only the mode under test may bring the extension.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:loadmaster-testing", "-c", "pyproject.toml"]
    started = time.monotonic()
    subprocess.run([*command, *MODES[mode], f"--junitxml={report}", *selection], cwd=SUITE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        tags = {child.tag for child in case}
        outcome = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        outcomes[f"{case.get('classname')}::{case.get('name')}".replace(".Test", "::Test")] = outcome
    print(f"{mode}: {len(outcomes)} tests, {sum(o == 'failed' for o in outcomes.values())} failed, {time.monotonic() - started:.0f} s")
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", action="store_true", help="only the part of the suite make test runs")
    selection = SUBSET if parser.parse_args().subset else WHOLE
    fetch_suite()
    plain = run("plain", selection)
    unexpected = 0
    for mode in list(MODES)[1:]:
        outcomes = run(mode, selection)
        for test in sorted(plain.keys() | outcomes.keys()):
            shipped, extended = plain.get(test, "missing"), outcomes.get(test, "missing")
            expected = test in EXPECTED_DIFFERENCES
            if (shipped != extended) != expected:
                unexpected += 1
                print(f"  {mode}: {test}: {shipped} as shipped, {extended} with loadmaster.testing" + (" (expected to differ)" if expected else ""))
            elif expected:
                print(f"  {mode}: {test}: {shipped} as shipped, {extended} with loadmaster.testing, as expected: {EXPECTED_DIFFERENCES[test]}")
    print("moto's tests: same results with loadmaster.testing" if not unexpected else f"moto's tests: {unexpected} unexpected differences")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
