"""`loadmaster init DIR`: a team's own repository, ready for `make synth` and `make test`.

The files come from `loadmaster/scaffold/` (shipped as package data). `package.json`, `package-lock.json`,
`requirements.lock` and `cdk.json` there are this repository's own, so a team's repository pins the same CDK CLI,
Python packages and CDK feature flags that loadmaster is tested with.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import distribution
from importlib.resources import files
from pathlib import Path

from loadmaster import __version__
from loadmaster.errors import PortfolioError, Problem
from loadmaster.spec.json_schema import SCHEMA_FILE, schema_text

SCAFFOLD = files("loadmaster") / "scaffold"

#: Where each scaffold file goes in the new repository (dot-files are stored without their dot: package data
#: globs skip hidden files).
LAYOUT = {
    "portfolio.yaml": "portfolio.yaml",
    "app.py": "app.py",
    "Makefile": "Makefile",
    "README.md": "README.md",
    "test_portfolio.py": "tests/test_portfolio.py",
    "package.json": "package.json",
    "package-lock.json": "package-lock.json",
    "test.yml": ".github/workflows/test.yml",
    "gitignore": ".gitignore",
}
# In a team's repository `cdk synth` runs the Python of the activated virtual environment (the Makefile puts
# `.venv/bin` first on PATH), as in the CDK's own Python template.
TEAM_APP_COMMAND = "python3 app.py"
LOCK_HEADER = f"# Every Python package, pinned as loadmaster {__version__} was tested with: `make setup` installs with -c requirements.lock."


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "init",
        help="scaffold a team's repository: a portfolio, the CDK app, a Makefile and CI",
        description="Write a repository of your own into DIR (new or empty): portfolio.yaml to start from (with its JSON Schema, "
        "portfolio.schema.json, for your editor), app.py and "
        "cdk.json calling the installed loadmaster, a Makefile with `make synth` and `make test`, tests/, the pinned "
        "AWS CDK CLI (package.json) and Python packages (requirements.lock), and a CI workflow. Refuses a DIR that "
        "holds anything (exit 2, nothing touched).",
    )
    parser.add_argument("directory", type=Path, metavar="DIR", help="where to create the repository: a new or empty directory")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    given: Path = arguments.directory
    target = given.absolute()
    problem = _target_problem(target)
    if problem:
        raise PortfolioError(str(given), [Problem("", problem)])
    # Written into a hidden folder first (inside DIR if it exists, beside it if not), then moved into place: an
    # interrupted init leaves no half repository. An existing DIR is kept, as it may be the current directory.
    staging_parent = target if target.is_dir() else target.parent
    try:
        staging_parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".loadmaster-init-", dir=staging_parent))
    except OSError as error:
        raise PortfolioError(str(given), [Problem("", f"cannot write in {staging_parent}: {error.strerror}")]) from None
    requirement, warning = loadmaster_requirement()
    try:
        _write_scaffold(staging, requirement)
        if target.is_dir():
            for entry in staging.iterdir():
                entry.rename(target / entry.name)
            staging.rmdir()
        else:
            staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; DIR gets the permissions of any new folder
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if warning:
        print(f"warning: {given}/Makefile: {warning}", file=sys.stderr)
    print(f"wrote a loadmaster repository into {given}: cd {given} && make synth && make test", file=sys.stderr)
    return 0


def _target_problem(target: Path) -> str | None:
    if target.exists() and not target.is_dir():
        return "exists and is not a directory"
    if target.is_dir() and any(target.iterdir()):
        return "is not empty: loadmaster init writes only into a new or empty directory, and never over your files"
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def loadmaster_requirement() -> tuple[str, str | None]:
    """What the new repository's `make setup` installs (`LOADMASTER` in its Makefile), and a warning when a fresh
    machine may not find it: the commit this loadmaster came from when pip installed it from git (its
    direct_url.json, PEP 610), else this version, which from a wheel file or a checkout is only on this machine."""
    direct_url = distribution("loadmaster").read_text("direct_url.json")
    if direct_url is None:
        return f"loadmaster[testing]=={__version__}", None
    origin = json.loads(direct_url)
    if "vcs_info" in origin:
        vcs = origin["vcs_info"]
        return f"loadmaster[testing] @ {vcs['vcs']}+{origin['url']}@{vcs['commit_id']}", None
    return f"loadmaster[testing]=={__version__}", (
        f"loadmaster was installed from {origin['url']}, not from a package index or git: set LOADMASTER in the "
        "Makefile to where a fresh machine gets it (a wheel's URL or git+URL@commit)"
    )


def _write_scaffold(root: Path, requirement: str) -> None:
    for source, destination in LAYOUT.items():
        path = root / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (SCAFFOLD / source).read_text()
        path.write_text(text.replace("@LOADMASTER_REQUIREMENT@", requirement).replace("@LOADMASTER_VERSION@", __version__))
    cdk = json.loads((SCAFFOLD / "cdk.json").read_text())
    (root / "cdk.json").write_text(json.dumps({**cdk, "app": TEAM_APP_COMMAND}, indent=2) + "\n")
    pins = [line for line in (SCAFFOLD / "requirements.lock").read_text().splitlines() if not line.startswith("#")]
    (root / "requirements.lock").write_text("\n".join([LOCK_HEADER, *pins]) + "\n")
    # The schema the portfolio's first line names, for the team's editor: this loadmaster's (`loadmaster schema`).
    (root / SCHEMA_FILE).write_text(schema_text())
