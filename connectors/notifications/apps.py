from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "connectors.notifications"
    label = "notifications"
    verbose_name = "Notifications and webhooks"
