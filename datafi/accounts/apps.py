from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "datafi.accounts"
    label = "accounts"
    verbose_name = "Accounts"
