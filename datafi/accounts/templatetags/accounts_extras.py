from django import template
from django.contrib.auth.password_validation import password_validators_help_texts

register = template.Library()


@register.simple_tag
def password_rules() -> list[str]:
    """The rules a new password must meet, in the words of AUTH_PASSWORD_VALIDATORS."""
    return password_validators_help_texts()
