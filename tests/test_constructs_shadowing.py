"""Our top-level `constructs/` folder must not hide the `constructs` library (aws/aws-cdk issue 19301).

The folder has no `__init__.py`: when the repository root is on sys.path, the library (a regular package) wins
the import and its `pkgutil.extend_path` adds our folder to its `__path__`, so both resolve.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOTH_IMPORTS = (
    "import constructs, constructs.inference_component; "
    "assert constructs.Construct.__module__ == 'constructs', constructs.Construct.__module__; "
    "print(constructs.inference_component.InferenceComponent.__name__)"
)


def run_from_root(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **environment}
    )


def test_under_pytest_the_library_and_our_constructs_both_import():
    import constructs
    from constructs.inference_component import InferenceComponent

    assert hasattr(constructs, "Construct") and hasattr(constructs, "Node")
    assert InferenceComponent.__module__ == "constructs.inference_component"


def test_our_constructs_folder_has_no_init_so_it_cannot_shadow_the_library():
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_python_from_the_repository_root_imports_the_library_and_our_constructs():
    result = run_from_root("-c", BOTH_IMPORTS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "InferenceComponent"


def test_python_app_py_from_the_repository_root_synthesizes(tmp_path):
    result = run_from_root("app.py", CDK_OUTDIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "codegen-platform-hosting.template.json").exists()


def test_cdk_synth_from_the_repository_root_synthesizes(tmp_path):
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    path = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        [str(cdk), "synth", "--quiet", "--output", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": path}
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "codegen-platform-hosting.template.json").exists()


def test_our_construct_modules_never_take_a_name_the_library_uses():
    # Installed, our modules sit in the library's own directory (docs/constructs-shadowing.md).
    import constructs

    library = Path(constructs.__file__).parent
    ours = {path.stem for path in (ROOT / "constructs").glob("*.py")}
    theirs = {path.stem for path in library.iterdir() if path.name != "__pycache__"}

    assert ours and not ours & theirs
