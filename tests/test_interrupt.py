"""Ctrl-C ends every command with one line and exit 130: nothing half-written, nothing left in the temporary
directory (the jsii kernel's `jsii-kernel-*` folders included), no traceback.

Each command runs as a user runs it, in a process group of its own with a private TMPDIR; Ctrl-C is SIGINT to the
whole group, as a terminal sends it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from loadmaster.synthesis import PROJECT_ROOT

SCRIPT = Path(sys.executable).parent / "loadmaster"
STARTUP_TIMEOUT_S = 240


class Run:
    """A command started in its own process group, its stderr collected line by line."""

    def __init__(self, command: list[str], tmpdir: Path, cwd: Path):
        environment = {**os.environ, "TMPDIR": str(tmpdir)}
        # Ctrl-C as a terminal delivers it, whatever the test run inherited: a shell that starts `make test` in the
        # background hands its children SIGINT ignored.
        self.process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True)
        self.reader.start()

    def wait_until(self, condition, timeout: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"ended before Ctrl-C: {''.join(self.stderr)}"
            assert time.monotonic() < deadline, "never got there"
            time.sleep(0.1)

    def ctrl_c(self) -> tuple[int, list[str]]:
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return code, [line.rstrip("\n") for line in self.stderr]


def kernel_folders(tmpdir: Path) -> list[Path]:
    return list(tmpdir.rglob("jsii-kernel-*"))


@pytest.fixture
def tmpdir_(tmp_path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def test_ctrl_c_during_synth_exits_130_in_one_line_leaving_out_and_tmp_as_they_were(tmpdir_, tmp_path):
    # Given a previous assembly in --out
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text('{"artifacts": {}}')
    run = Run([str(SCRIPT), "synth", str(EXAMPLE), "--out", str(out)], tmpdir_, tmp_path)

    # When Ctrl-C comes while the CDK synthesizes
    run.wait_until(lambda: any("synthesizing" in line for line in run.stderr) and kernel_folders(tmpdir_))
    time.sleep(1)
    code, stderr = run.ctrl_c()

    assert (code, stderr) == (130, [f"synthesizing {EXAMPLE} ...", "loadmaster: interrupted"])
    assert list(tmpdir_.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.out", "tmp"]  # no staging folder left
    assert [(path.name, path.read_text()) for path in out.iterdir()] == [("manifest.json", '{"artifacts": {}}')]


def test_ctrl_c_during_rehearse_exits_130_in_one_line_leaving_tmp_empty(tmpdir_, tmp_path):
    run = Run([str(SCRIPT), "rehearse", str(EXAMPLE)], tmpdir_, tmp_path)

    run.wait_until(lambda: kernel_folders(tmpdir_))
    time.sleep(1)
    code, stderr = run.ctrl_c()

    assert (code, stderr) == (130, [f"rehearsing {EXAMPLE} in moto (loadmaster.testing) ...", "loadmaster: interrupted"])
    assert list(tmpdir_.iterdir()) == []


def test_ctrl_c_while_plan_loads_exits_130_in_one_line(tmpdir_, tmp_path):
    run = Run([str(SCRIPT), "plan", str(EXAMPLE)], tmpdir_, tmp_path)

    time.sleep(1.5)  # importing the planner (scipy) and resolving images take seconds
    code, stderr = run.ctrl_c()

    assert (code, stderr) == (130, ["loadmaster: interrupted"])


def test_ctrl_c_during_make_synth_leaves_no_traceback_and_cdk_out_as_it_was(tmpdir_, tmp_path):
    # Given a previous assembly in the CDK CLI's output directory
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text('{"artifacts": {}}')
    run = Run(["make", "--no-print-directory", "synth", f"CDK_OUT={out}"], tmpdir_, PROJECT_ROOT)

    # When Ctrl-C comes while app.py synthesizes under the CDK CLI
    run.wait_until(lambda: kernel_folders(tmpdir_))
    time.sleep(1)
    _, stderr = run.ctrl_c()

    assert not [line for line in stderr if "Traceback" in line], "\n".join(stderr)
    assert "app.py: interrupted" in stderr
    assert list(tmpdir_.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cdk.out", "tmp"]  # no staging folder left
    assert (out / "manifest.json").read_text() == '{"artifacts": {}}'
