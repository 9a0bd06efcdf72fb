from django.apps import AppConfig


class SmooveConfig(AppConfig):
    name = "smoove"
    verbose_name = "smoove"
