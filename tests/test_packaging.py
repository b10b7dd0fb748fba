"""The built sdist and wheel install into a fresh virtual environment and work outside this repository: the commands
from a directory that holds only a portfolio, our constructs, stacks and policies for a team's own CDK app, and the
repository `loadmaster init` writes, through its own `make synth` and `make test`.

One build and one install (about two minutes: every dependency, as a user's `pip install` gets them) serve every test
here. The install skips compiling bytecode, which Python then does on first import, to stay within `make test`'s time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow(minutes=4)

ROOT = Path(__file__).resolve().parents[1]
PORTFOLIO = ROOT / "loadmaster" / "scaffold" / "portfolio.yaml"
SHIPPED = {  # what the team's CDK app and the commands need from the package, beside loadmaster's own modules
    "stacks/__init__.py", "policies/__init__.py", "policies/rules/__init__.py", "constructs/inference_component.py",
    "loadmaster/catalog/instances.json", "loadmaster/scaffold/cdk.json", "loadmaster/scaffold/Makefile",
}


def outside_this_repository() -> dict[str, str]:
    """The environment without this checkout's virtual environment and CDK CLI on PATH, so that nothing resolves here."""
    path = [entry for entry in os.environ["PATH"].split(os.pathsep) if not entry.startswith(str(ROOT))]
    environment = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "JSII_NODE")}
    return {**environment, "PATH": os.pathsep.join(path), "npm_config_prefer_offline": "true"}


def run(command: list[str | Path], cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**outside_this_repository(), **environment},
    )
    assert result.returncode == 0, f"{command} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build`: the sdist, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (wheel,) = dist.glob("loadmaster-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and its dependencies, pinned as this repository pins them."""
    venv = tmp_path_factory.mktemp("install") / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=venv.parent)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "-c", ROOT / "requirements.lock", f"{wheel}[testing]"], cwd=venv.parent)
    return venv


@pytest.fixture
def portfolio_only(tmp_path) -> Path:
    """A directory that holds nothing but a portfolio."""
    (tmp_path / "team.yaml").write_text(PORTFOLIO.read_text())
    return tmp_path


def test_the_sdist_and_the_wheel_ship_stacks_policies_our_constructs_and_the_data_files(dist, wheel):
    wheel_files = set(zipfile.ZipFile(wheel).namelist())
    (sdist,) = dist.glob("loadmaster-*.tar.gz")
    with tarfile.open(sdist) as archive:
        sdist_files = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    assert SHIPPED <= wheel_files
    assert SHIPPED <= sdist_files
    # Our modules join the `constructs` library's package; an __init__.py would replace the library's own.
    assert "constructs/__init__.py" not in wheel_files


def test_the_installed_commands_work_from_a_directory_that_holds_only_a_portfolio(venv, portfolio_only):
    loadmaster = venv / "bin" / "loadmaster"

    validated = run([loadmaster, "validate", "team.yaml"], cwd=portfolio_only)
    planned = run([loadmaster, "plan", "team.yaml"], cwd=portfolio_only)
    synthesized = run([loadmaster, "synth", "team.yaml"], cwd=portfolio_only)
    rehearsed = run([loadmaster, "rehearse", "team.yaml"], cwd=portfolio_only)

    assert "team.yaml is valid" in validated.stdout
    assert "gpu-pool" in planned.stdout
    assert "stack my-platform-hosting:" in synthesized.stdout
    assert (portfolio_only / "cdk.out" / "my-platform-hosting.template.json").exists()
    assert "rehearsal passed" in rehearsed.stdout
    assert sorted(path.name for path in portfolio_only.iterdir()) == ["cdk.out", "team.yaml"]


def test_a_teams_cdk_app_imports_our_constructs_stacks_and_policies_from_site_packages(venv, portfolio_only):
    imports = (
        "import constructs, stacks, policies; from constructs.inference_component import InferenceComponent; "
        "import inspect; assert constructs.Construct.__module__ == 'constructs'; "
        "print(inspect.getfile(InferenceComponent)); print(stacks.__file__); print(policies.__file__)"
    )

    result = run([venv / "bin" / "python", "-c", imports], cwd=portfolio_only)

    site_packages = next((venv / "lib").glob("python3*/site-packages"))
    assert result.stdout.split() == [
        str(site_packages / "constructs" / "inference_component.py"),
        str(site_packages / "stacks" / "__init__.py"),
        str(site_packages / "policies" / "__init__.py"),
    ]


def test_the_repository_loadmaster_init_writes_passes_its_make_synth_and_make_test(venv, wheel, tmp_path):
    # Given a repository written by the installed loadmaster, set up on that install: its Makefile's setup still runs
    # (venv, pip install of LOADMASTER, which is there already, and npm ci of the pinned CDK CLI)
    run([venv / "bin" / "loadmaster", "init", "team"], cwd=tmp_path)
    team = tmp_path / "team"
    on_this_install = [f"VENV={venv}", f"LOADMASTER={wheel}[testing]"]

    # When
    synthesized = run(["make", "synth", *on_this_install], cwd=team)
    tested = run(["make", "test", *on_this_install], cwd=team)

    # Then
    assert (team / "node_modules" / ".bin" / "cdk").exists()
    assert (team / "cdk.out" / "my-platform-hosting.template.json").exists()
    assert "my-platform: 1 pool, 2 inference components" in synthesized.stderr
    assert "rehearsal passed" in tested.stdout
    assert "1 passed" in tested.stdout
