from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Badges and points")

    def ready(self) -> None:
        # Importing registers the rule kinds and connects the receivers on Organization.
        from . import rules, signals  # noqa: F401
        from .receivers import connect

        connect()
