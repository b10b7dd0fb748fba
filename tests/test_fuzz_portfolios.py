"""Bad input never crashes: generated portfolios, valid and mutated, and hostile files, through the CLI in-process.

Every run ends in success or in exit code 2 with one line per problem naming the file, never a traceback, a hang or
a partial `--out` directory. Hypothesis runs derandomized (a fixed seed) with explicit example budgets, so the file
takes about a minute and fails the same way on every machine.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from loadmaster.cli import main
from loadmaster.synthesis import DEFAULT_PORTFOLIO

EXIT_BAD_INPUT = 2
FUZZ = settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# For the tests that synthesize (seconds an example): no shrinking, which could take minutes; the failing example is
# reported as found.
NO_SHRINKING = [Phase.explicit, Phase.generate]
EXAMPLE = yaml.safe_load(DEFAULT_PORTFOLIO.read_text())
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def run(*argv: str) -> tuple[int, str, str]:
    """`loadmaster ARGV` in-process: exit code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(argv))
    return code, stdout.getvalue(), stderr.getvalue()


def assert_success_or_named_problems(path: Path, code: int, stderr: str) -> None:
    assert code in (0, EXIT_BAD_INPUT), stderr
    assert "Traceback" not in stderr
    if code == EXIT_BAD_INPUT:
        lines = stderr.strip().splitlines()
        assert lines and all(line.startswith(f"{path}: ") for line in lines), stderr


# Valid portfolios ---------------------------------------------------------------------------------------------

# (type, accelerators, vCPUs): pools share GPU instances; dedicated models run alone on small ones (FACTS.md).
POOL_TYPES = [("ml.g5.12xlarge", 4, 48), ("ml.g5.48xlarge", 8, 192), ("ml.p4d.24xlarge", 8, 96)]
DEDICATED_TYPES = ["ml.g5.xlarge", "ml.g5.2xlarge", "ml.g6.2xlarge"]
names = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)


@st.composite
def components(draw, pool: str, accelerators: int) -> dict[str, Any]:
    low = draw(st.integers(0, 2))
    high = draw(st.integers(max(low, 1), low + 3))
    scaling = draw(st.sampled_from(["default", "none", "concurrent-requests-per-copy", "invocations-per-copy"]))
    model = {
        "image": IMAGE,
        "pool": pool,
        "per_copy": {"accelerators": draw(st.integers(1, min(2, accelerators))), "memory_mb": draw(st.integers(128, 16384)), "cpu_cores": draw(st.sampled_from([0.25, 1, 4]))},
        "copies": {"min": low, "max": high},
    }
    if scaling == "none" and low > 0:
        model |= {"scaling": "none", "copies": {"min": low, "max": low}}
    elif scaling not in ("default", "none"):
        model["scaling"] = {"metric": scaling, "target": draw(st.integers(1, 100))}
    return model


@st.composite
def dedicated_models(draw) -> dict[str, Any]:
    low = draw(st.integers(1, 2))
    return {
        "image": IMAGE,
        "artifact": f"s3://models-bucket/{draw(names)}/model.tar.gz",
        # Printable values: cfn-lint cannot read a template holding C1 control characters (a finding, not fixed here).
        "environment": draw(st.dictionaries(st.from_regex(r"[A-Z][A-Z_]{0,15}", fullmatch=True), st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=20), max_size=3)),
        "hosting": "dedicated",
        "instance_type": draw(st.sampled_from(DEDICATED_TYPES)),
        "instances": {"min": low, "max": draw(st.integers(low, low + 4))},
        "scaling": draw(st.sampled_from([{"metric": "concurrent-requests-per-model", "target": 5}, {"metric": "invocations-per-instance", "target": 100}, "none"])),
    }


@st.composite
def valid_portfolios(draw) -> dict[str, Any]:
    pool_names = draw(st.lists(names, max_size=2, unique=True))
    model_names = draw(st.lists(names, min_size=1, max_size=5, unique=True).filter(lambda found: not set(found) & set(pool_names)))
    pools, models = [], []
    for name in pool_names:
        instance_type, accelerators, _ = draw(st.sampled_from(POOL_TYPES))
        pools.append({"name": name, "instance_type": instance_type, "accelerators": accelerators})
    for name in model_names:
        if pools and draw(st.booleans()):
            pool = draw(st.sampled_from(pools))
            model = draw(components(pool["name"], pool["accelerators"]))
        else:
            model = draw(dedicated_models())
        models.append({"name": name, **model})
    for pool in pools:
        accelerators = pool.pop("accelerators")
        # Room for every copy at its maximum, so that the plan fits whatever the draw.
        needed = sum(m["copies"]["max"] * m["per_copy"]["accelerators"] for m in models if m.get("pool") == pool["name"])
        pool["instances"] = {"min": 1, "max": max(1, math.ceil(needed / accelerators))}
    tags = draw(st.dictionaries(st.from_regex(r"[a-z][a-z-]{0,10}", fullmatch=True), st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), max_size=2))
    return {"version": 1, "name": draw(names), "region": "us-east-1", "tags": tags, "pools": pools, "models": models}


@settings(FUZZ, max_examples=5, phases=NO_SHRINKING)
@given(valid_portfolios())
def test_generated_valid_portfolios_synthesize_and_pass_cfn_lint(portfolio):
    import cfnlint.api

    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "portfolio.yaml"
        path.write_text(yaml.safe_dump(portfolio, sort_keys=False))

        code, _, stderr = run("synth", str(path), "--out", f"{workdir}/cdk.out")

        assert code == 0, stderr
        findings = [str(match) for template in Path(workdir, "cdk.out").glob("*.template.json") for match in cfnlint.api.lint_file(template)]
        assert findings == []


# Mutated portfolios -------------------------------------------------------------------------------------------


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """The path to every value inside `node`, as keys and list indexes."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    return [path for key, child in children for path in [(*prefix, key), *paths(child, (*prefix, key))]]


EXAMPLE_PATHS = paths(EXAMPLE)


def kind(value: Any) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


junk = st.one_of(
    st.text(max_size=30).filter(lambda text: text != "none"),  # "none" is a valid scaling
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
edge_numbers = st.sampled_from([-1, 0, -(10**6), 10**30, 2**63, float("nan"), float("inf"), float("-inf"), 1e308, 0.5])


def at(document: Any, path: tuple) -> tuple[Any, Any]:
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


def field_named(path: tuple) -> str:
    """How a problem names the field at `path`: `memory_mb`, or `models[2]` for an item of a list."""
    return f"{path[-2]}[{path[-1]}]" if isinstance(path[-1], int) else str(path[-1])


def validate(document: Any) -> tuple[Path, int, str]:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "portfolio.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        code, _, stderr = run("validate", str(path))
    return path, code, stderr


@settings(FUZZ, max_examples=250)
@given(st.sampled_from(EXAMPLE_PATHS), st.data())
def test_a_value_of_the_wrong_type_is_named_in_the_problems(path, data):
    document = copy.deepcopy(EXAMPLE)
    parent, key = at(document, path)
    parent[key] = data.draw(junk.filter(lambda value: kind(value) != kind(parent[key])))

    source, code, stderr = validate(document)

    assert_success_or_named_problems(source, code, stderr)
    assert code == EXIT_BAD_INPUT and field_named(path) in stderr, stderr


@settings(FUZZ, max_examples=250)
@given(st.sampled_from(EXAMPLE_PATHS), st.sampled_from(["delete", "null", "edge number", "unicode", "unknown key", "nesting"]), st.data())
def test_mutated_portfolios_validate_or_report_problems(path, mutation, data):
    document = copy.deepcopy(EXAMPLE)
    parent, key = at(document, path)
    if mutation == "delete":
        del parent[key]
    elif mutation == "unknown key" and isinstance(parent[key], dict):
        parent[key][data.draw(st.text(min_size=1, max_size=10))] = data.draw(junk)
    else:
        nested = data.draw(st.recursive(st.integers(), lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2), max_leaves=20))
        parent[key] = {"null": None, "edge number": data.draw(edge_numbers), "unicode": data.draw(st.text(max_size=40))}.get(mutation, nested)

    source, code, stderr = validate(document)

    assert_success_or_named_problems(source, code, stderr)


@settings(FUZZ, max_examples=150)
@given(st.integers(0, len(DEFAULT_PORTFOLIO.read_text())), st.integers(0, 20), st.text(max_size=10))
def test_corrupted_text_validates_or_reports_problems(position, removed, inserted):
    text = DEFAULT_PORTFOLIO.read_text()
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "portfolio.yaml"
        path.write_text(text[:position] + inserted + text[position + removed :])

        code, _, stderr = run("validate", str(path))

        assert_success_or_named_problems(path, code, stderr)


@settings(FUZZ, max_examples=12, phases=NO_SHRINKING)
@given(st.sampled_from(EXAMPLE_PATHS), junk)
def test_synth_of_a_mutated_portfolio_succeeds_or_leaves_the_output_untouched(path, value):
    document = copy.deepcopy(EXAMPLE)
    parent, key = at(document, path)
    parent[key] = value
    with tempfile.TemporaryDirectory() as workdir:
        portfolio, out = Path(workdir) / "portfolio.yaml", Path(workdir) / "cdk.out"
        portfolio.write_text(yaml.safe_dump(document, allow_unicode=True))
        out.mkdir()
        (out / "earlier.txt").write_text("an earlier synthesis")

        code, _, stderr = run("synth", str(portfolio), "--out", str(out))

        assert_success_or_named_problems(portfolio, code, stderr)
        if code == EXIT_BAD_INPUT:
            assert sorted(path.name for path in Path(workdir).iterdir()) == ["cdk.out", "portfolio.yaml"]
            assert [path.name for path in out.iterdir()] == ["earlier.txt"]
        else:
            assert (out / "manifest.json").exists()


# Hostile files --------------------------------------------------------------------------------------------------

EXAMPLE_TEXT = DEFAULT_PORTFOLIO.read_text()
HOSTILE = {
    # Billion laughs: nine aliases of nine, nine levels deep: 9**9 strings once expanded.
    "a YAML bomb": "version: 1\nname: bomb\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]\n" for level in range(1, 9))
    + "models: [*l8]\n",
    "10,000 nested lists": "version: 1\nname: deep\nmodels: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "200 nested mappings": "version: 1\nname: deep\nmodels: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
    "a collection that contains itself": "version: 1\nname: &loop [x, *loop]\n",
    "an empty file": "",
    "only a comment": "# nothing here\n",
    "a list instead of a mapping": "- version: 1\n",
    "two documents": EXAMPLE_TEXT + "\n---\nversion: 1\n",
    "a Python object tag": "!!python/object/apply:os.system ['echo pwned']\n",
    "a number of 5,000 digits": EXAMPLE_TEXT.replace("memory_mb: 8192", "memory_mb: 1" + "0" * 5000),
    "an impossible date": "version: 1\nname: dated\nwhen: 2024-13-45\n",
    "NaN and infinite targets": EXAMPLE_TEXT.replace("target: 4,", "target: .nan,").replace("target: 120", "target: .inf"),
    "negative and huge counts": EXAMPLE_TEXT.replace("min: 2, max: 6", "min: -2, max: 99999999999999999999999"),
    "a NaN price": EXAMPLE_TEXT.replace("tags:", "prices: {ml.g5.12xlarge: .nan, ml.p4d.24xlarge: -3}\ntags:"),
    "unicode names": EXAMPLE_TEXT.replace("name: blockgen", "name: blöckgen✓").replace("name: a10g-pool", "name: 池"),
    "a 100,000-character name": EXAMPLE_TEXT.replace("name: codegen-platform\n", "name: " + "a" * 100_000 + "\n"),
    "a 20 MB file": EXAMPLE_TEXT + ("# " + "x" * 1000 + "\n") * 20_000,
}


@pytest.mark.parametrize("command", ["validate", "synth"])
@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_refused_quickly_with_named_problems(tmp_path, command, content):
    path = tmp_path / "portfolio.yaml"
    path.write_text(content)
    out = tmp_path / "cdk.out"
    started = time.monotonic()

    code, _, stderr = run(command, str(path), *(["--out", str(out)] if command == "synth" else []))

    assert code == EXIT_BAD_INPUT, stderr
    assert_success_or_named_problems(path, code, stderr)
    assert max(map(len, stderr.splitlines())) < 1000  # a problem fits a terminal, whatever the input held
    assert not out.exists()
    assert time.monotonic() - started < 20  # on a loaded machine; about a second on a quiet one


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"version: 1\x00\nname: x\n"], ids=["not UTF-8", "a NUL byte"])
def test_a_binary_file_is_refused_with_a_problem(tmp_path, content):
    path = tmp_path / "portfolio.yaml"
    path.write_bytes(content)

    code, _, stderr = run("validate", str(path))

    assert code == EXIT_BAD_INPUT
    assert_success_or_named_problems(path, code, stderr)
