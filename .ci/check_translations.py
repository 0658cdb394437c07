"""CI: every string marked for translation has a translation in every catalogue.

Runs `make messages` (makemessages merges the strings marked in the code into
datafi/locale/<lang>/LC_MESSAGES/*.po), then fails when an entry is untranslated,
fuzzy (msgmerge's guess from a similar string), or has placeholders that do not
match its English original.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def problems(po: Path) -> list[str]:
    with po.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        label = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            label = f"{label} [{message.context}]"
        if not all(strings):
            found.append(f"untranslated: {label!r}")
        elif message.fuzzy:
            found.append(f"fuzzy (check and remove the flag): {label!r}")
    for message, errors in catalog.check():
        for error in errors:
            found.append(f"{message.id!r}: {error}")
    return found


def main() -> int:
    subprocess.run(["make", "--no-print-directory", "messages"], cwd=ROOT, check=True)
    catalogues = sorted((ROOT / "datafi" / "locale").glob("*/LC_MESSAGES/*.po"))
    if not catalogues:
        print("no catalogue in datafi/locale")
        return 1
    failed = False
    for po in catalogues:
        found = problems(po)
        count = sum(1 for m in read_po(po.open("rb")) if m.id)
        print(f"{po.relative_to(ROOT)}: {count} strings, {len(found)} problems")
        for line in found[:200]:
            print(f"  {line}")
        failed |= bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
