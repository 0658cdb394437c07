"""Copy Redoc's bundle from drf-spectacular-sidecar into static/vendor/redoc/,
without the logo its sidebar fetches from Redocly's server.

Redoc's attribution ("API docs by Redocly") shows an image from
https://cdn.redoc.ly/redoc/logo-mini.svg, and no Redoc option turns it off. The
Content-Security-Policy lets pages load images from this site only, so the
browser blocks the fetch and logs a violation on every visit to /api/redoc/.
The copy leaves the image out (the attribution's text and link stay) rather than
let the policy allow Redocly's server: the docs page then tells nobody else who
reads it. ``make vendor-redoc`` after an upgrade of drf-spectacular-sidecar.
"""

import re
import shutil
from pathlib import Path

import drf_spectacular_sidecar

SIDECAR = Path(drf_spectacular_sidecar.__file__).parent / "static/drf_spectacular_sidecar/redoc"
TARGET = Path(__file__).resolve().parent.parent / "static/vendor/redoc"
LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# The minified sidebar: createElement(<logo component>,null),"API docs by Redocly"
LOGO_ELEMENT = re.compile(r'\w+\.createElement\(\w+,null\),(?="API docs by Redocly")')


def without_logo(bundle: str) -> str:
    """The bundle with the attribution's image element and its URL removed."""
    patched, elements = LOGO_ELEMENT.subn("", bundle)
    if elements != 1 or bundle.count(LOGO_URL) != 1:
        raise ValueError(
            "Redoc's bundle no longer has the one logo element this patch knows: "
            "read how the new version shows its attribution before vendoring it"
        )
    # The logo's component stays (now never rendered); its URL goes, so that a
    # search of the bundle finds no server but ours. The source map is not
    # copied (it maps the unpatched bundle): nor is the comment naming it.
    patched = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", patched)
    return patched.replace(LOGO_URL, "")


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    bundle = (SIDECAR / "bundles/redoc.standalone.js").read_text(encoding="utf-8")
    (TARGET / "redoc.standalone.js").write_text(without_logo(bundle), encoding="utf-8")
    shutil.copy(SIDECAR / "bundles/redoc.standalone.js.LICENSE.txt", TARGET)
    shutil.copy(SIDECAR / "LICENSE", TARGET / "LICENSE")


if __name__ == "__main__":
    main()
