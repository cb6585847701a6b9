from django.contrib import admin

from connectors.models import CertificationComment


@admin.register(CertificationComment)
class CertificationCommentAdmin(admin.ModelAdmin):
    list_display = ["draft", "user_id", "by_certifier", "datetime"]
    list_filter = ["by_certifier"]
    search_fields = ["comment", "user_id", "draft__key"]
    list_select_related = ["draft"]
