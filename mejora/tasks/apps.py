from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "mejora.tasks"
    label = "mejora_tasks"
    verbose_name = "Trabajos en segundo plano"

    def ready(self) -> None:
        from mejora.tasks import retries  # noqa: F401 - connects the retry receiver
