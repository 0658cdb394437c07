"""Every page sends a Content-Security-Policy that loads nothing from elsewhere and runs
no inline code without the response's nonce."""

from html.parser import HTMLParser

import pytest

PUBLIC = [
    "/",
    "/leaderboard/",
    "/transparency/",
    "/quality/fairness/",
    "/accounts/login/",
    "/accounts/signup/",
    "/api/docs/",
    "/api/redoc/",
]
VOTER = ["/arena/", "/live/", "/rewards/", "/provider/"]
STAFF = ["/quality/", "/admin/", "/admin/evals/battle/", "/admin/evals/evalmodel/add/"]
# Script types a browser runs (anything else, e.g. application/json, is data).
SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


def policy(resp) -> dict[str, list[str]]:
    header = resp.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {resp.request['PATH_INFO']}"
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


class _Inline(HTMLParser):
    """Inline scripts and styles, style attributes and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.inline: list[tuple[str, str | None]] = []  # (tag, nonce)
        self.attributes: list[tuple[str, str]] = []  # (tag, attribute)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type", "") in SCRIPT_TYPES:
            self.inline.append((tag, attrs.get("nonce")))
        if tag == "style":
            self.inline.append((tag, attrs.get("nonce")))
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.attributes.append((tag, name))


@pytest.fixture
def pages(client, arena, alice, django_user_model):
    from datafi.accounts.services import user_create

    staff = user_create(username="olga", password="correct horse battery staple")
    staff.is_staff = staff.is_superuser = True
    staff.save()

    def get(path):
        client.logout()
        if path in VOTER:
            client.force_login(alice)
        elif path in STAFF:
            client.force_login(staff)
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        return resp

    return get


@pytest.mark.parametrize("path", PUBLIC + VOTER + STAFF)
def test_every_page_loads_nothing_from_elsewhere_and_runs_only_nonced_inline_code(pages, path):
    resp = pages(path)
    directives = policy(resp)
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src", "img-src", "font-src", "connect-src"):
        for source in directives[name]:
            assert (
                source == "'self'"
                or source.startswith(("'nonce-", "'sha256-"))
                or (source in ("data:", "blob:") and name == "img-src")
            ), (name, source)
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Every inline script and style carries the response's nonce.
    nonces = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    parser = _Inline()
    parser.feed(resp.content.decode())
    if parser.inline:
        assert len(nonces) == 1
        nonce = nonces[0][len("'nonce-") : -1]
        assert all(n == nonce for _, n in parser.inline), parser.inline
    if not path.startswith("/admin/"):
        # Our own templates: no style="" or onclick="" (the policy would block them).
        # Django's admin has a few style attributes; blocked, they cost it nothing.
        assert parser.attributes == [], parser.attributes


def test_a_nonce_is_new_on_every_response(pages):
    first = policy(pages("/api/docs/"))["script-src"]
    second = policy(pages("/api/docs/"))["script-src"]
    assert any(s.startswith("'nonce-") for s in first) and first != second


def test_json_and_error_responses_carry_the_policy_too(client, db):
    assert policy(client.get("/api/quality/fairness?days=1"))["default-src"] == ["'self'"]
    assert policy(client.get("/no-such-page/"))["default-src"] == ["'self'"]
