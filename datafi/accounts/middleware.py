from django.conf import settings
from django.middleware import locale


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's LocaleMiddleware, which also sets the language cookie on the
    response of a log-in that took the account's language (see
    ``services.interface_language_on_login``), so the device keeps it."""

    def process_response(self, request, response):
        language = getattr(request, "interface_language_from_account", None)
        if language:
            # As django.views.i18n.set_language sets it.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return super().process_response(request, response)
