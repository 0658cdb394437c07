from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext_lazy

from datafi.accounts.models import User
from evals import languages

# Django's own words on the password forms (its validators' rules, the confirmation
# field), listed so that makemessages puts them into datafi/locale, which Django reads
# before its own catalogues: its Indonesian ones say "Sandi anda ..." where the rest of
# the product says "Kata sandi Anda ...". Never read; ``gettext_noop`` only marks them.
DJANGO_PASSWORD_WORDS = [
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Password confirmation"),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Old password"),
    gettext_noop("New password confirmation"),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
]


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text=_("Optional, for account recovery."))
    languages = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Languages you read"),
        help_text=_(
            "You will only be asked to judge answers in these languages. You can change them later."
        ),
    )

    sell_data = forms.BooleanField(
        required=False,
        label=_("Yes, my votes may be included in datasets that datafi sells"),
    )

    class Meta:
        model = User
        fields = ("username", "email")

    def __init__(self, *args, accept_language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = languages.choices()
        # Preset from the browser's languages; English when it names none we serve.
        self.fields["languages"].initial = languages.from_accept_language(accept_language) or ["en"]
        share = 100 - settings.MARKET_PLATFORM_FEE_PERCENT
        self.fields["sell_data"].help_text = _(
            "datafi sells curated datasets of arena votes to companies that build models: "
            "prompts, answers and votes, with personal data such as e-mail addresses and "
            "phone numbers masked, and you only under a pseudonym. If you agree, %(share)s%% "
            "of each sale is shared among the people whose votes are in it, by their counted "
            "votes. If not, your votes are left out of every dataset sold. You can change "
            "this at any time in your settings; it applies to datasets published after that."
        ) % {"share": share}

    def validate_password_for_user(self, user, **kwargs):
        # The rules' errors ("too short", "too common") under the Password field they are
        # about; Django's form puts them under the confirmation.
        super().validate_password_for_user(user, password_field_name="password1")


class _RulesUnderNewPassword:
    # Django's SetPasswordForm checks the rules on new_password2 and puts their
    # errors ("too short", "too common") under "New password again"; they are about
    # the new password, so they go under it. A mismatch stays under the confirmation.
    def validate_password_for_user(self, user, *_field_named_by_django):
        super().validate_password_for_user(user, password_field_name="new_password1")


class SetPasswordForm(_RulesUnderNewPassword, auth_forms.SetPasswordForm):
    """The password reset's new password."""


class PasswordChangeForm(_RulesUnderNewPassword, auth_forms.PasswordChangeForm):
    """A logged-in person's password change."""


class AccountDeleteForm(forms.Form):
    """The deletion's confirmation: the password again (or, for an account signed in
    only with a wallet, its user name typed out), and, when points would be left
    behind, a tick that says the person read so."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.CharField(label=_("Your user name"), strip=True)
    forfeit = forms.BooleanField(required=False)

    def __init__(self, *args, user, points_left: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            del self.fields["confirm"]
        else:
            del self.fields["password"]
            self.fields["confirm"].help_text = _(
                "Your account has no password (you sign in with your wallet): type your "
                "user name, %(username)s, to confirm."
            ) % {"username": user.username}
        if points_left > 0:
            self.fields["forfeit"].required = True
            self.fields["forfeit"].label = ngettext_lazy(
                "I understand that my %(points)s point will be lost.",
                "I understand that my %(points)s points will be lost.",
                "points",
            ) % {"points": points_left}
        else:
            del self.fields["forfeit"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Nothing was deleted."), code="wrong_password"
            )
        return password

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"]
        if typed != self.user.username:
            raise forms.ValidationError(
                _("Type your user name exactly as shown. Nothing was deleted."),
                code="wrong_confirmation",
            )
        return typed
