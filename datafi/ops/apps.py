from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations wiring: health, metrics and housekeeping across the apps."""

    name = "datafi.ops"
    label = "ops"

    def ready(self):
        from datafi.ops import metrics

        metrics.register()
