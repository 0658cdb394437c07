from django import forms
from django.contrib.auth.forms import UserCreationForm

from datafi.accounts.models import User


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional, for account recovery.")

    class Meta:
        model = User
        fields = ("username", "email")
