"""The layer contracts (pyproject.toml, [tool.importlinter]) hold, and break
when an import points the wrong way (each mutation below is one such import)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("datafi", "evals", "ratings", "rewards")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line, contract",
    [
        (
            "ratings/services.py",
            "from datafi.flows import fold",
            "never import a cross-app flow",
        ),
        (
            "evals/services.py",
            "from rewards.services import points_award_for_votes",
            "call neither ratings nor rewards",
        ),
        ("ratings/bt.py", "from django.conf import settings", "imports neither Django"),
        ("evals/selectors.py", "import web3", "Only rewards.chain talks to a chain"),
        ("rewards/selectors.py", "from evals.models import Battle", "another app's models"),
        (
            "evals/quality/selectors.py",
            "from rewards.models import Entry",
            "another app's models",
        ),
        # Accounts' tables too: other apps go through datafi.accounts.selectors/services.
        (
            "evals/provider/views.py",
            "from datafi.accounts.models import Membership",
            "another app's models",
        ),
    ],
)
def test_a_reversed_import_breaks_a_contract(tmp_path, module, line, contract):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
