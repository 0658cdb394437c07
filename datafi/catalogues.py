"""Compile an interface catalogue (.po -> .mo), as GNU msgfmt does by default.

``make install`` runs it (Babel, pure Python: no system gettext needed). Fuzzy
entries (msgmerge's guesses for strings not yet translated) are left out, as
msgfmt leaves them out, and do not stop the install; whether every entry is
translated, unfuzzy and has the right placeholders is CI's check
(.ci/check_translations.py).

    python -m datafi.catalogues datafi/locale/id/LC_MESSAGES/django.po out.mo
"""

import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_catalogue(po_path: str, mo_path: str) -> None:
    with open(po_path, "rb") as f:
        catalog = read_po(f)
    with open(mo_path, "wb") as f:
        write_mo(f, catalog, use_fuzzy=False)


if __name__ == "__main__":
    compile_catalogue(sys.argv[1], sys.argv[2])
