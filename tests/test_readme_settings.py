"""The README's settings tables and datafi/settings.py name the same variables.

Every environment variable the settings read must be in a README table whose
first column is ``variable`` or ``setting``, and every variable in those tables
must be read by the settings: a README that drifts from the code fails here.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_HELPERS = {"env", "env_bool", "env_int", "env_float", "env_list"}
NAME = re.compile(r"`(_?[A-Z][A-Z0-9_]*)`")


def settings_env_names() -> set[str]:
    """Names passed to the env helpers in settings.py (all must be literals)."""
    tree = ast.parse((ROOT / "datafi" / "settings.py").read_text())
    names, dynamic = set(), []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ENV_HELPERS):
            continue
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
        elif not (isinstance(first, ast.Name) and first.id == "name"):  # the helpers themselves
            dynamic.append(node.lineno)
    assert not dynamic, f"settings.py reads variables with computed names at lines {dynamic}"
    return names


def readme_table_cells(readme: str) -> list[str]:
    """The first cell of every row of the README's settings tables."""
    cells, in_table = [], False
    for line in readme.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.strip("|").split("|")[0].strip()
        if first in {"variable", "setting"}:
            in_table = True
        elif in_table and not set(first) <= set("-: "):
            cells.append(first)
    return cells


def expand(cell: str, known: set[str]) -> set[str]:
    """Names in one cell; a short form ``_X`` beside ``PREFIX_Y`` means ``PREFIX_X``
    for the prefix (cut at an underscore) that makes a setting of it."""
    names = NAME.findall(cell)
    full = [n for n in names if not n.startswith("_")]
    out = set(full)
    for short in (n for n in names if n.startswith("_")):
        candidates = {
            "_".join(f.split("_")[:i]) + short for f in full for i in range(1, f.count("_") + 1)
        }
        matches = candidates & known
        out |= matches or {f"?{short} (in {cell!r})"}
    return out


def test_every_setting_read_from_the_environment_is_in_the_readme():
    known = settings_env_names()
    documented = set().union(
        *(expand(c, known) for c in readme_table_cells((ROOT / "README.md").read_text()))
    )
    missing = sorted(known - documented)
    assert not missing, f"read in datafi/settings.py but not in a README settings table: {missing}"


def test_every_variable_in_the_readme_tables_is_read_by_the_settings():
    known = settings_env_names()
    documented = set().union(
        *(expand(c, known) for c in readme_table_cells((ROOT / "README.md").read_text()))
    )
    stale = sorted(documented - known)
    assert not stale, f"in a README settings table but not read in datafi/settings.py: {stale}"


def test_the_check_sees_a_missing_setting():
    cells = readme_table_cells("| variable | default |\n|---|---|\n| `A_B`, `_C` | 1 |\n")
    assert expand(cells[0], {"A_B", "A_C"}) == {"A_B", "A_C"}
    assert expand(cells[0], {"A_B"}) == {"A_B", "?_C (in '`A_B`, `_C`')"}
