from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mejora.web"
    label = "web"
