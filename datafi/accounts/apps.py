from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "datafi.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from datafi.accounts import (
            checks,  # noqa: F401  (registers the system checks)
            services,
        )

        user_logged_in.connect(services.interface_language_on_login, dispatch_uid="ui-language")
