"""Locating the real services that some suites need."""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def anvil_binary() -> str | None:
    explicit = os.environ.get("ANVIL_BIN")
    if explicit and os.path.exists(explicit):
        return explicit
    local = ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    return shutil.which("anvil")
