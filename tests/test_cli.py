"""The `loadmaster` command: exit 0 on a good portfolio, exit 2 with one line per problem and no traceback on a bad one,
`--help` everywhere, and `synth` never leaving a half-written output directory."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loadmaster.cli import COMMANDS, build_parser, main
from loadmaster.planner.make import plan_file
from loadmaster.summary import render_summary
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

# codegen-xl is models[5], on the A100 pool (ml.p4d.24xlarge: 8 GPUs); 9 accelerators a copy cannot fit.
TOO_MANY_ACCELERATORS = EXAMPLE.read_text().replace("per_copy: {accelerators: 2,", "per_copy: {accelerators: 9,")
TOO_MANY_ACCELERATORS_LINE = "portfolio.yaml: models[5] (codegen-xl).per_copy.accelerators: 9 accelerators do not fit ml.p4d.24xlarge (8 GPUs)"

BAD_FILES = {  # what portfolio.yaml holds (None: there is none) and the one line on stderr
    "field": (TOO_MANY_ACCELERATORS, TOO_MANY_ACCELERATORS_LINE),
    "missing": (None, "portfolio.yaml: file not found"),
    "unknown-framework": (
        EXAMPLE.read_text().replace("framework: djl-lmi", "framework: djl-lmx"),
        "portfolio.yaml: models[1] (textevel).image: the SageMaker Python SDK knows no framework 'djl-lmx' (such as djl-lmi, huggingface-llm, pytorch)",
    ),
    "artifact-key-alias": (
        EXAMPLE.read_text().replace("artifact: s3://codegen-models/inline/model.tar.gz", "artifact: s3://codegen-models/inline/model.tar.gz\n    artifact_kms_key_arn: alias/codegen-models"),
        "portfolio.yaml: models[0] (inline).artifact_kms_key_arn: 'alias/codegen-models' is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID; an alias is not a key)",
    ),
    "empty": ("", "portfolio.yaml: expected a mapping of portfolio keys, found nothing"),
    "list": ("- version: 1\n- name: demo\n", "portfolio.yaml: expected a mapping of portfolio keys, found a list"),
    "scalar": ("42\n", "portfolio.yaml: expected a mapping of portfolio keys, found a number"),
    "unparsable": ("version: 1\nname: [demo\n", "portfolio.yaml: line 3, column 1: not valid YAML: expected ',' or ']', but got '<stream end>'"),
}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_accepts_the_example_and_exits_0(capsys):
    code, out, err = run(["validate", str(EXAMPLE)], capsys)

    assert (code, err) == (0, "")
    assert out.startswith(f"{EXAMPLE} is valid. codegen-platform: 2 pools, ")


def test_validate_counts_only_the_hostings_the_portfolio_uses(capsys, tmp_path):
    # Given a portfolio of one dedicated and one serverless model, and no pool
    path = tmp_path / "portfolio.yaml"
    path.write_text(
        "version: 1\nname: demo\nregion: us-east-1\nmodels:\n"
        "  - {name: chat, image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124, hosting: dedicated, instance_type: ml.g5.2xlarge}\n"
        "  - {name: tagger, image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3, hosting: serverless}\n"
    )

    code, out, _ = run(["validate", str(path)], capsys)

    assert (code, out) == (0, f"{path} is valid. demo: 1 dedicated endpoint, 1 serverless endpoint\n")


@pytest.mark.parametrize(("text", "line"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_validate_rejects_a_bad_file_with_exit_2_and_one_line_naming_the_problem(text, line, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    if text is not None:
        Path("portfolio.yaml").write_text(text)

    assert run(["validate", "portfolio.yaml"], capsys) == (2, "", line + "\n")


def test_the_installed_console_script_reports_a_bad_portfolio_without_a_traceback(tmp_path):
    # Given the `loadmaster` script installed beside this interpreter, run as a user runs it
    script = Path(sys.executable).parent / "loadmaster"
    (tmp_path / "portfolio.yaml").write_text(TOO_MANY_ACCELERATORS)

    result = subprocess.run([str(script), "validate", "portfolio.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", TOO_MANY_ACCELERATORS_LINE + "\n")


COMMAND_NAMES = [command.__name__.rsplit(".", 1)[-1] for command in COMMANDS]


def subcommands(parser: argparse.ArgumentParser, above: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and nested command (`catalog refresh`) of the parser, as the words that name it."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                found += [(*above, name), *subcommands(subparser, (*above, name))]
    return found


def help_of(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])

    assert exited.value.code == 0
    return capsys.readouterr().out


def test_the_top_level_help_lists_every_command(capsys):
    out = help_of([], capsys)

    assert out.startswith("usage: loadmaster [-h] [--version] COMMAND ...\n")
    assert re.findall(r"^    (\w+)\s", out, flags=re.MULTILINE) == COMMAND_NAMES


@pytest.mark.parametrize("command", subcommands(build_parser()), ids=" ".join)
def test_every_command_has_help_with_its_usage(command, capsys):
    assert help_of(list(command), capsys).startswith(f"usage: loadmaster {' '.join(command)} [-h]")


def test_the_commands_help_names_their_arguments(capsys):
    assert "PORTFOLIO" in help_of(["validate"], capsys)
    assert "--out DIR" in help_of(["synth"], capsys)


def test_no_command_is_a_usage_error_with_exit_2(capsys):
    with pytest.raises(SystemExit) as exited:
        main([])

    assert exited.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


# synth


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """`loadmaster synth examples/codegen-platform.yaml --out DIR`, once for the module (about 10 s)."""
    out_dir = tmp_path_factory.mktemp("synth") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["synth", str(EXAMPLE), "--out", str(out_dir)])
    return code, out_dir, stdout.getvalue()


def test_synth_writes_each_stack_template_it_names(synthesized):
    code, out_dir, stdout = synthesized
    stacks = re.findall(r"^stack (\S+): (\d+) resources -> (\S+)$", stdout, flags=re.MULTILINE)

    assert code == 0
    assert stacks
    for _, resources, template_file in stacks:
        assert Path(template_file).parent == out_dir
        assert len(json.loads(Path(template_file).read_text())["Resources"]) == int(resources)


def test_synth_prints_the_summary_of_the_plan(synthesized):
    _, _, stdout = synthesized

    assert stdout.endswith(render_summary(plan_file(EXAMPLE)) + "\n")


def test_synth_of_a_bad_portfolio_leaves_an_existing_output_directory_untouched(capsys, tmp_path):
    # Given an earlier synthesis in --out
    (tmp_path / "portfolio.yaml").write_text(TOO_MANY_ACCELERATORS)
    out_dir = tmp_path / "cdk.out"
    out_dir.mkdir()
    (out_dir / "earlier.template.json").write_text("{}")

    code, _, _ = run(["synth", str(tmp_path / "portfolio.yaml"), "--out", str(out_dir)], capsys)

    assert code == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.out", "portfolio.yaml"]
    assert [(path.name, path.read_text()) for path in out_dir.iterdir()] == [("earlier.template.json", "{}")]


def test_synth_of_a_bad_portfolio_creates_no_output_directory(capsys, tmp_path):
    (tmp_path / "portfolio.yaml").write_text(TOO_MANY_ACCELERATORS)

    code, _, _ = run(["synth", str(tmp_path / "portfolio.yaml"), "--out", str(tmp_path / "build" / "cdk.out")], capsys)

    assert code == 2
    assert [path.name for path in tmp_path.iterdir()] == ["portfolio.yaml"]


@pytest.mark.parametrize(
    ("out", "problem"),
    [("taken.txt", "exists and is not a directory"), ("taken.txt/cdk.out", "{cwd}/taken.txt is not a directory")],
    ids=["out-is-a-file", "out-is-inside-a-file"],
)
def test_synth_to_an_output_path_that_cannot_be_a_directory_is_rejected_before_synthesizing(out, problem, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("taken.txt").write_text("not ours")

    code, _, err = run(["synth", str(EXAMPLE), "--out", out], capsys)

    assert (code, err) == (2, f"--out {out}: {problem.format(cwd=tmp_path)}\n")
    assert [(path.name, path.read_text()) for path in tmp_path.iterdir()] == [("taken.txt", "not ours")]


# The environment: a reader that goes away, a full disk


def test_plan_into_a_pipe_whose_reader_went_away_ends_silently_like_other_unix_tools(tmp_path):
    # `loadmaster plan x.yaml | head -1`, with head gone before the plan is written
    script = Path(sys.executable).parent / "loadmaster"
    process = subprocess.Popen([str(script), "plan", str(EXAMPLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()

    stderr = process.stderr.read()

    assert (process.wait(timeout=120), stderr) == (141, "")


def test_validate_onto_a_full_disk_ends_in_one_line_and_exit_2():
    script = Path(sys.executable).parent / "loadmaster"
    with open("/dev/full", "w") as full:
        result = subprocess.run([str(script), "validate", str(EXAMPLE)], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)

    assert (result.returncode, result.stderr) == (2, "loadmaster: [Errno 28] No space left on device\n")


# Python's optimizations: jsii's run-time type checks off where the CDK app runs


@pytest.mark.skipif(sys.flags.optimize > 0, reason="the tests themselves run under -O")
def test_the_script_runs_itself_again_under_python_O_before_any_import(monkeypatch):
    # Given the script started without -O, as a console script is, where the CDK's optimized bytecode can be used
    import loadmaster.__main__ as script

    executed = []
    monkeypatch.setattr(script.os, "execv", lambda path, argv: executed.append((path, argv)) or sys.exit(0))
    monkeypatch.setattr(script, "_optimized_bytecode_usable", lambda: True)  # `make setup` compiles it; a test run may not write it

    # When it starts
    with pytest.raises(SystemExit):
        script.main()

    # Then it replaces itself by the same command under -O (jsii skips its checks inside `if __debug__:`)
    assert executed == [(sys.executable, [sys.executable, "-O", *sys.orig_argv[1:]])]


def test_the_cdk_cli_runs_the_app_under_python_O():
    app = json.loads((Path(__file__).resolve().parent.parent / "cdk.json").read_text())["app"]

    assert app.split()[1:] == ["-O", "app.py"]
