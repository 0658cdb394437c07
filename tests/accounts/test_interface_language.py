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


# --- the account remembers the choice (the cookie alone stayed on one device) -------


def _person(password="a-long-passphrase-9"):
    from datafi.accounts.models import User

    return User.objects.create_user(username="dewi", password=password), password


def _log_in(client, user, password):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def test_a_choice_made_while_logged_in_follows_the_person_to_another_device(db, client):
    from django.test import Client

    user, password = _person()
    _log_in(client, user, password)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    user.refresh_from_db()
    assert user.interface_language == "id"

    laptop = Client()  # no language cookie, an English browser
    resp = laptop.post(
        "/accounts/login/",
        {"username": user.username, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 302
    assert resp.cookies["django_language"].value == "id"
    page = laptop.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="id"' in page


def test_a_device_with_its_own_choice_keeps_it_and_the_account_learns_it(db, client):
    user, password = _person()
    user.interface_language = "id"
    user.save()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})  # before logging in
    resp = _log_in(client, user, password)
    assert "django_language" not in resp.cookies  # the device's own stays
    assert '<html lang="en">' in client.get("/").content.decode()
    user.refresh_from_db()
    assert user.interface_language == "en"


def test_an_anonymous_choice_or_an_unknown_language_stores_nothing(db, client):
    from datafi.accounts.models import User

    user, password = _person()
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})  # anonymous: cookie only
    _log_in(client, user, password)
    user.refresh_from_db()
    assert user.interface_language == "id"  # learnt at log-in from the device's choice
    client.post("/i18n/setlang/", {"language": "tlh", "next": "/"})
    assert User.objects.get(pk=user.pk).interface_language == "id"
    assert client.get("/i18n/setlang/").status_code in (302, 405)  # a GET changes nothing
    assert User.objects.get(pk=user.pk).interface_language == "id"


def test_switching_language_on_a_page_that_answered_a_form_goes_back_to_the_forms_page(db, client):
    # A refused organisation form is answered at /provider/organizations, which
    # takes posts only: the switcher sent the reader back there (a blank 405).
    import re

    user, _password = _person()
    client.force_login(user)
    page = client.post(
        "/provider/organizations", {"name": "   "}, HTTP_REFERER="http://testserver/provider/"
    )
    assert page.status_code == 400
    [next_url] = re.findall(r'name="next" value="([^"]*)"', page.content.decode())
    assert next_url == "/provider/"
    resp = client.post("/i18n/setlang/", {"language": "id", "next": next_url})
    assert resp.status_code == 302 and resp["Location"] == "/provider/"
    assert client.get(resp["Location"]).status_code == 200
    # A second refused form posted from that answer: its page's own address (the
    # referer) takes posts only too; the switcher goes to the provider page.
    page = client.post(
        "/provider/organizations",
        {"name": "   "},
        HTTP_REFERER="http://testserver/provider/organizations",
    )
    assert page.status_code == 400
    [next_url] = re.findall(r'name="next" value="([^"]*)"', page.content.decode())
    assert next_url == "/provider/"
    resp = client.post("/i18n/setlang/", {"language": "en", "next": next_url})
    assert resp.status_code == 302 and client.get(resp["Location"]).status_code == 200
    # An ordinary page comes back to itself.
    page = client.get("/leaderboard/?category=coding").content.decode()
    assert 'name="next" value="/leaderboard/?category=coding"' in page
