"""Django messages whose Hebrew is missing from Django's own catalogue.

Naming them here lets makemessages add them to smoove's catalogue, which
Django consults first. Django 5.2 ships the password-length message in
Hebrew with empty translations, so sign-up showed it in English.
"""

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
