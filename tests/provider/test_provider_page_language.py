"""The provider page speaks the interface's language: before an organisation
exists, with one (keys, models, members, downloads), and in the view's messages."""

import re

from django.contrib.messages import get_messages

ENGLISH_BEFORE = [
    "Model providers",
    "Register models, upload answers",
    "Set up your organisation",
    "You become its owner",
    "Website",
    "optional",
    "Create organisation",
]

ENGLISH_WITH_ORG = [
    "Model providers",
    "API keys",
    "No keys yet.",
    "Key name",
    "Scopes",
    "Create key",
    ">Models<",
    "No models yet",
    "Download your data",
    "Voted battles in which",
    ">Members<",
    "Add member",
    "Another organisation",
    "Create organisation",
    ">owner<",
    ">member<",
]


def _visible_text(html: str) -> str:
    """The page without its scripts, so only what a person reads is searched."""
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


def _page(client, language):
    resp = client.get("/provider/", HTTP_ACCEPT_LANGUAGE=language)
    assert resp.status_code == 200
    return _visible_text(resp.content.decode())


def test_the_page_before_an_organisation_is_in_indonesian(client, alice):
    client.force_login(alice)
    page = _page(client, "id")
    for english in ENGLISH_BEFORE:
        assert english not in page, english
    for indonesian in [
        "<title>Penyedia ·",
        "Penyedia model",
        "Siapkan organisasi Anda",
        "Situs web",
        "opsional",
        "Buat organisasi",
    ]:
        assert indonesian in page, indonesian


def test_the_page_with_an_organisation_is_in_indonesian(client, alice):
    client.force_login(alice)
    resp = client.post(
        "/provider/organizations", {"name": "Nimbus Works"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert resp.status_code == 302
    assert [str(m) for m in get_messages(resp.wsgi_request)] == [
        "Nimbus Works sudah disiapkan; Anda pemiliknya."
    ]
    page = _page(client, "id")
    for english in ENGLISH_WITH_ORG:
        assert english not in page, english
    for indonesian in [
        "Kunci API",
        "Belum ada kunci.",
        "Nama kunci",
        "Cakupan",
        "Buat kunci",
        "Unduh data Anda",
        "Anggota",
        "Undang atau ubah peran",
        "Organisasi lain",
        '<span class="tag">Pemilik</span>',
    ]:
        assert indonesian in page, indonesian


def test_the_key_table_and_messages_are_in_indonesian(client, alice, bob, db):
    client.force_login(alice)
    client.post("/provider/organizations", {"name": "Nimbus Works"})
    resp = client.post(
        "/provider/nimbus-works/keys",
        {"name": "ci", "scopes": ["data:read"]},
        HTTP_ACCEPT_LANGUAGE="id",
        follow=True,
    )
    page = _visible_text(resp.content.decode())
    assert "Salin sekarang" in page and "belum pernah" in page and ">aktif<" in page
    for english in ["Copy it now", ">never<", ">active<", ">Revoke<", "Last used"]:
        assert english not in page, english

    missing = client.post(
        "/provider/nimbus-works/members", {"username": "nobody"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert "Tidak ada pengguna dengan nama itu." in missing.content.decode()
    added = client.post(
        "/provider/nimbus-works/members", {"username": bob.username}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert [str(m) for m in get_messages(added.wsgi_request)] == [
        f"{bob.username} diundang ke Nimbus Works: mereka bergabung setelah menerimanya "
        "di halaman penyedia mereka."
    ]


def test_the_english_page_reads_as_before(client, alice):
    client.force_login(alice)
    client.post("/provider/organizations", {"name": "Nimbus Works"})
    page = _page(client, "en")
    for english in ["Model providers", "API keys", "No keys yet.", "Create key", ">Owner<"]:
        assert english in page, english
