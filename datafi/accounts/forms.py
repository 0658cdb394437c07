from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from datafi.accounts.models import User
from evals import languages


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
