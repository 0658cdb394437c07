from django.apps import AppConfig


class MarketConfig(AppConfig):
    """The data market: dataset products, frozen versions, release hygiene, consent."""

    name = "datafi.market"
    label = "market"
    verbose_name = "Data market"
