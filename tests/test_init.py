"""`loadmaster init DIR` writes a team's repository, and never over anything already there.

Its `make synth` and `make test` against the installed wheel are in tests/test_packaging.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from loadmaster import __version__
from loadmaster.cli import main
from loadmaster.commands import init
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.planner.make import plan_file
from loadmaster.spec.json_schema import schema_text

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY_FILES = {
    "portfolio.yaml", "app.py", "cdk.json", "Makefile", "README.md", "requirements.lock", "package.json",
    "package-lock.json", "tests/test_portfolio.py", ".github/workflows/test.yml", ".gitignore", "portfolio.schema.json",
}


def files_in(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file()}


def test_init_writes_a_repository_with_a_portfolio_the_cdk_app_a_makefile_tests_and_ci(tmp_path, capsys):
    # When
    exit_code = main(["init", str(tmp_path / "team")])

    # Then
    assert exit_code == 0
    team = tmp_path / "team"
    assert files_in(team) == REPOSITORY_FILES
    assert "make synth && make test" in capsys.readouterr().err
    assert "from loadmaster.cdk_app import main" in (team / "app.py").read_text()
    assert "LOADMASTER ?= loadmaster[testing]" in (team / "Makefile").read_text()
    assert "run: make test" in (team / ".github" / "workflows" / "test.yml").read_text()
    # and the schema the portfolio's first line names for the editor, as `loadmaster schema` prints it
    assert (team / "portfolio.yaml").read_text().startswith("# yaml-language-server: $schema=portfolio.schema.json\n")
    assert (team / "portfolio.schema.json").read_text() == schema_text()


def test_the_repository_pins_the_cdk_cli_python_packages_and_feature_flags_loadmaster_is_tested_with(tmp_path):
    main(["init", str(tmp_path / "team")])
    team = tmp_path / "team"

    assert (team / "package-lock.json").read_bytes() == (ROOT / "package-lock.json").read_bytes()
    assert (team / "package.json").read_bytes() == (ROOT / "package.json").read_bytes()
    pins = lambda path: [line for line in path.read_text().splitlines() if not line.startswith("#")]  # noqa: E731
    assert pins(team / "requirements.lock") == pins(ROOT / "requirements.lock")
    ours, theirs = (json.loads(path.read_text()) for path in (ROOT / "cdk.json", team / "cdk.json"))
    assert theirs["context"] == ours["context"]
    assert theirs["app"] == "python3 app.py"  # the venv's python: the Makefile puts .venv/bin first on PATH


def test_the_portfolio_to_start_from_is_valid_and_without_warnings(tmp_path):
    main(["init", str(tmp_path / "team")])

    plan = plan_file(tmp_path / "team" / "portfolio.yaml")

    assert not plan.warnings


def test_init_fills_the_current_directory_when_it_is_empty(tmp_path, monkeypatch):
    (tmp_path / "team").mkdir()
    monkeypatch.chdir(tmp_path / "team")

    assert main(["init", "."]) == 0
    assert Path.cwd() == tmp_path / "team" and files_in(Path.cwd()) == REPOSITORY_FILES  # the same folder, not a new one


def test_init_refuses_a_directory_that_holds_anything_and_touches_nothing(tmp_path, capsys):
    # Given a directory with a file of the user's
    team = tmp_path / "team"
    team.mkdir()
    (team / "Makefile").write_text("ours\n")

    # When
    exit_code = main(["init", str(team)])

    # Then
    assert exit_code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == (
        f"{team}: is not empty: loadmaster init writes only into a new or empty directory, and never over your files"
    )
    assert files_in(team) == {"Makefile"} and (team / "Makefile").read_text() == "ours\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["team"]  # nothing staged beside it either


def test_init_refuses_a_file(tmp_path, capsys):
    (tmp_path / "team").write_text("a file\n")

    assert main(["init", str(tmp_path / "team")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'team'}: exists and is not a directory"
    assert (tmp_path / "team").read_text() == "a file\n"


def test_init_where_nothing_can_be_written_says_so_in_one_line(tmp_path, capsys):
    (tmp_path / "a-file").write_text("")

    assert main(["init", str(tmp_path / "a-file" / "team")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'a-file' / 'team'}: cannot write in {tmp_path / 'a-file'}: File exists"


class InstalledFrom:
    """A stand-in for loadmaster's installed distribution with the given direct_url.json (PEP 610), None if pip
    installed it from a package index."""

    def __init__(self, direct_url: dict | None):
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


def test_a_loadmaster_installed_from_git_makes_the_repository_install_that_same_commit(tmp_path, monkeypatch, capsys):
    git = {"url": "https://example.org/team/loadmaster.git", "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}
    monkeypatch.setattr(init, "distribution", lambda name: InstalledFrom(git))

    main(["init", str(tmp_path / "team")])

    makefile = (tmp_path / "team" / "Makefile").read_text()
    assert "LOADMASTER ?= loadmaster[testing] @ git+https://example.org/team/loadmaster.git@0123abc\n" in makefile
    assert "warning" not in capsys.readouterr().err


def test_a_loadmaster_installed_from_a_package_index_makes_the_repository_install_that_version(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(init, "distribution", lambda name: InstalledFrom(None))

    main(["init", str(tmp_path / "team")])

    assert f"LOADMASTER ?= loadmaster[testing]=={__version__}\n" in (tmp_path / "team" / "Makefile").read_text()
    assert "warning" not in capsys.readouterr().err


def test_a_loadmaster_installed_from_a_local_checkout_is_warned_about_for_a_fresh_machine(tmp_path, monkeypatch, capsys):
    checkout = {"url": "file:///home/me/loadmaster", "dir_info": {"editable": True}}
    monkeypatch.setattr(init, "distribution", lambda name: InstalledFrom(checkout))

    main(["init", str(tmp_path / "team")])

    warning = capsys.readouterr().err.splitlines()[0]
    assert warning == (
        f"warning: {tmp_path / 'team'}/Makefile: loadmaster was installed from file:///home/me/loadmaster, not from a "
        "package index or git: set LOADMASTER in the Makefile to where a fresh machine gets it (a wheel's URL or git+URL@commit)"
    )
    assert f"LOADMASTER ?= loadmaster[testing]=={__version__}\n" in (tmp_path / "team" / "Makefile").read_text()
