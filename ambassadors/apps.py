from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmbassadorsConfig(AppConfig):
    name = "ambassadors"
    verbose_name = _("Ambassador network")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
        from .receivers import connect as connect_receivers

        connect_receivers()
