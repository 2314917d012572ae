from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Badges and points")

    def ready(self) -> None:
        from . import rules  # noqa: F401 (registers the rule kinds)
        from . import signals  # noqa: F401 (connects the receivers)
        from .receivers import connect

        connect()
