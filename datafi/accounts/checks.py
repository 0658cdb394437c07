"""System checks: throttle settings always, and what a production deployment needs.

The deploy checks run with ``manage.py check --deploy``. Each one is an error,
not a warning: every case here loses or leaks something in production (sessions
and encrypted keys that differ per host, payouts on a chain that dies with the
process, live updates that never reach another worker, password-reset mails
that go nowhere). A single-process deployment that knowingly runs one of them
silences its id in SILENCED_SYSTEM_CHECKS.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from datafi.accounts import throttle

_NOT_REAL_EMAIL = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.security)
def throttle_rates(app_configs=None, **kwargs):
    errors = []
    for setting, _what in throttle.SCOPES.values():
        try:
            throttle.parse_rates(getattr(settings, setting))
        except ImproperlyConfigured as exc:
            errors.append(Error(f"{setting}: {exc}", id="datafi.E010"))
    return errors


@register(Tags.security, deploy=True)
def production_settings(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if getattr(settings, "SECRET_KEY_GENERATED", False):
        errors.append(
            Error(
                "SECRET_KEY was generated on this host (DATA_DIR/secret_key).",
                hint="Set SECRET_KEY, the same on every host: sessions and signed links "
                "made on one host must be valid on the others.",
                id="datafi.E001",
            )
        )
    if getattr(settings, "MODEL_KEY_ENCRYPTION_KEY_GENERATED", False):
        errors.append(
            Error(
                "MODEL_KEY_ENCRYPTION_KEY was generated on this host "
                "(DATA_DIR/model_key_encryption_key).",
                hint="Set MODEL_KEY_ENCRYPTION_KEY, the same on every host: model endpoint "
                "keys encrypted on one host cannot be read on another.",
                id="datafi.E002",
            )
        )
    if not settings.CHAIN_RPC_URL:
        errors.append(
            Error(
                "CHAIN_RPC_URL is not set: payouts would go to the in-process chain, "
                "which is thrown away when the process stops.",
                hint="Set CHAIN_RPC_URL (and CHAIN_PRIVATE_KEY) to a real Ethereum node.",
                id="datafi.E003",
            )
        )
    if not settings.REDIS_URL:
        errors.append(
            Error(
                "REDIS_URL is not set: each worker process has its own in-memory channel "
                "layer and cache, so live updates and throttle counts do not reach the others.",
                hint="Set REDIS_URL.",
                id="datafi.E004",
            )
        )
    if settings.EMAIL_BACKEND in _NOT_REAL_EMAIL:
        errors.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: password-reset mails reach nobody.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
                "EMAIL_HOST (EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).",
                id="datafi.E005",
            )
        )
    return errors
