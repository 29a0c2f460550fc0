from django.apps import AppConfig


class FunnelConfig(AppConfig):
    name = "funnel"
    verbose_name = "Funnel and plans"

    def ready(self) -> None:
        # Writes to what the charts read bump the data generation their cache keys on.
        from funnel import freshness

        freshness.connect()
