"""The interface's language: the switcher's choice, then the browser, then
English; the page scripts' catalogue per language; languages offered are those
with a catalogue (issue #17)."""

from datafi.settings import interface_languages


def test_the_browser_language_is_used_until_the_voter_picks_one(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9,en;q=0.5")
    assert '<html lang="id">' in page.content.decode()
    assert "Lupa kata sandi?" in page.content.decode()  # "Forgot password?"

    resp = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert resp.status_code == 302 and resp["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id")
    assert '<html lang="en">' in page.content.decode()
    assert "Forgot password?" in page.content.decode()


def test_the_header_offers_every_interface_language_with_the_current_one_selected(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="id" lang="id" selected>Bahasa Indonesia</option>' in page


def test_the_page_scripts_catalogue_is_per_language_and_cached(client):
    indonesian = client.get("/jsi18n/id/")
    assert indonesian.status_code == 200
    assert indonesian["Content-Type"].startswith("text/javascript")
    assert "max-age=86400" in indonesian["Cache-Control"]
    english = client.get("/jsi18n/en/")
    assert "Switch to dark mode" not in english.content.decode()  # English needs no entries
    assert "Switch to dark mode" in indonesian.content.decode()
    assert client.get("/jsi18n/tlh/").status_code == 404


def test_a_catalogue_dropped_into_the_locale_folder_offers_its_language(tmp_path):
    for code in ("fr", "id", "xx"):  # xx: no such language, ignored
        (tmp_path / code / "LC_MESSAGES").mkdir(parents=True)
        (tmp_path / code / "LC_MESSAGES" / "django.po").write_text("")
    (tmp_path / "es").mkdir()  # no catalogue in it: not offered
    assert interface_languages(tmp_path) == [
        ("en", "English"),
        ("fr", "français"),
        ("id", "Bahasa Indonesia"),
    ]
