"""REQUIRE_SERVICES: which service markers turn a skip into a failure (CI sets it)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SERVICE_MARKERS, required_services

ROOT = Path(__file__).resolve().parent.parent


def test_one_means_every_service_and_a_list_means_those():
    assert required_services("1") == set(SERVICE_MARKERS) == required_services("true")
    assert required_services("") == set() == required_services("0")
    assert required_services("browser, anvil") == {"browser", "anvil"}
    with pytest.raises(pytest.UsageError, match="unknown"):
        required_services("browser,chrome")


def test_a_required_service_that_is_missing_fails_the_test(tmp_path):
    # A test marked postgres, run on SQLite: skipped, unless postgres is required.
    (tmp_path / "test_needs_pg.py").write_text(
        "import pytest\n\n@pytest.mark.postgres\ndef test_x():\n    pass\n"
    )

    def run(required: str) -> str:
        return subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:xdist"),
                *("-p", "tests.conftest", "-c", str(ROOT / "pyproject.toml")),
                *(f"--rootdir={ROOT}", str(tmp_path)),
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": "", "REQUIRE_SERVICES": required},
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    assert "1 skipped" in run("browser,anvil")
    assert "REQUIRE_SERVICES requires postgres" in run("postgres")
