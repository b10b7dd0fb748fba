"""Nothing the user owns is ever lost: `loadmaster synth --out DIR` replaces a previous cloud assembly and nothing
else, and `cdk synth` (app.py) leaves in its output directory exactly the stacks of the portfolio synthesized."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from loadmaster.cli import main
from loadmaster.planner.make import plan_file
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.synthesis import PROJECT_ROOT, synthesizing_into

OTHER_PORTFOLIO = EXAMPLE.parent / "auto-platform.yaml"


def synth(out: str, capsys) -> tuple[int, str]:
    code = main(["synth", str(EXAMPLE), "--out", out])
    return code, capsys.readouterr().err


def contents(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path -> text), and every folder as '<dir>'."""
    return {str(path.relative_to(folder)): "<dir>" if path.is_dir() else path.read_text() for path in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def previous_assembly(tmp_path_factory) -> Path:
    """A cloud assembly written by `loadmaster synth` (about 10 s, once for the module); copy it before changing it."""
    out = tmp_path_factory.mktemp("previous") / "cdk.out"
    assert main(["synth", str(EXAMPLE), "--out", str(out)]) == 0
    return out


def copy_of(assembly: Path, to: Path) -> Path:
    to.mkdir()
    for path in assembly.iterdir():
        (to / path.name).write_bytes(path.read_bytes())
    return to


def test_a_folder_that_is_not_a_cloud_assembly_is_refused_untouched(capsys, monkeypatch, tmp_path):
    # Given a folder of the user's with a file and a subfolder
    monkeypatch.chdir(tmp_path)
    Path("project/sub").mkdir(parents=True)
    Path("project/notes.txt").write_text("mine")
    Path("project/sub/data.csv").write_text("1,2")

    code, err = synth("project", capsys)

    assert (code, err) == (2, "--out project: exists and is not a cloud assembly (it has no manifest.json); name a new or empty folder, or one that holds a cloud assembly only\n")
    assert contents(tmp_path) == {"project": "<dir>", "project/notes.txt": "mine", "project/sub": "<dir>", "project/sub/data.csv": "1,2"}


def test_a_cloud_assembly_with_a_file_of_the_users_is_refused_untouched(previous_assembly, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = copy_of(previous_assembly, tmp_path / "cdk.out")
    (out / "notes.txt").write_text("mine")
    before = contents(tmp_path)

    code, err = synth("cdk.out", capsys)

    assert (code, err) == (2, "--out cdk.out: holds notes.txt, which its cloud assembly does not name: move what is yours elsewhere or name another folder\n")
    assert contents(tmp_path) == before


@pytest.mark.parametrize("out", [".", "", "{cwd}", "..", "/"], ids=["dot", "empty", "pwd", "parent", "root"])
def test_the_current_directory_or_one_holding_it_is_refused_in_one_line(out, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("app.py").write_text("mine")
    out = out.format(cwd=tmp_path)

    code, err = synth(out, capsys)

    quoted = out or "''"
    assert (code, err) == (2, f"--out {quoted}: is the current directory or holds it; name a folder of its own for the cloud assembly, such as cdk.out\n")
    assert contents(tmp_path) == {"app.py": "mine"}


def test_an_unwritable_place_is_refused_in_one_line(capsys):
    code, err = synth("/proc/loadmaster-out", capsys)

    assert code == 2
    assert err.splitlines()[-1] == "--out /proc/loadmaster-out: cannot write there: No such file or directory"
    assert "Traceback" not in err


def test_a_previous_cloud_assembly_is_replaced_and_nothing_beside_it_is_touched(previous_assembly, capsys, tmp_path):
    # Given a previous assembly (plus the CDK CLI's performance counters) next to a file of the user's
    out = copy_of(previous_assembly, tmp_path / "cdk.out")
    (out / "performance-counters.json").write_text("{}")
    (out / "codegen-platform-hosting.template.json").write_text("{}")  # stale: the synthesis must rewrite it
    (tmp_path / "notes.txt").write_text("mine")

    code, _ = synth(str(out), capsys)

    assert code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.out", "notes.txt"]  # no staging folder left
    assert contents(out) == contents(previous_assembly)


def test_an_empty_folder_takes_the_assembly(capsys, tmp_path):
    (tmp_path / "out").mkdir()

    code, _ = synth(str(tmp_path / "out"), capsys)

    assert code == 0
    assert (tmp_path / "out" / "manifest.json").exists()


def test_new_folders_get_the_users_umask(capsys, tmp_path):
    previous = os.umask(0o022)
    try:
        code, _ = synth(str(tmp_path / "build" / "cdk.out"), capsys)
    finally:
        os.umask(previous)

    assert code == 0
    assert stat.S_IMODE((tmp_path / "build").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "build" / "cdk.out").stat().st_mode) == 0o755


# cdk synth: app.py synthesizes through `synthesizing_into` into the directory the CDK CLI gives it


def test_cdk_synth_of_another_portfolio_leaves_only_its_stacks_and_the_files_not_ours(tmp_path):
    from stacks import build_app

    # Given the CDK CLI's output directory with the example's assembly, the CLI's lock and a file of the user's
    outdir = tmp_path / "cdk.out"
    with synthesizing_into(outdir) as staging:
        build_app(plan_file(EXAMPLE), outdir=str(staging)).synth()
    (outdir / "synth.lock").write_text("4242")
    (outdir / "notes.txt").write_text("mine")

    # When the CDK CLI runs app.py for another portfolio (`make synth PORTFOLIO=...`)
    environment = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps({"portfolio": str(OTHER_PORTFOLIO)})}
    result = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    # Then its templates are the only ones, and what loadmaster did not write is still there
    assert sorted(path.name for path in outdir.glob("*.template.json")) == ["auto-platform-hosting.template.json"]
    assert sorted(path.name for path in outdir.iterdir() if "codegen-platform" in path.name) == []
    assert (outdir / "notes.txt").read_text() == "mine"
    assert (outdir / "synth.lock").read_text() == "4242"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.out"]  # no staging folder left
