from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "datafi.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from datafi.accounts import checks  # noqa: F401  (registers the system checks)
