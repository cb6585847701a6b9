"""Support's side of certification: the rejection reasons, and the comments (read only:
a comment is written through the addCertificationComment update action, with history)."""

from django.contrib import admin

from connectors.models import CertificationComment

from .models import RejectionReason


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["code", "title", "text"]

    # The code is what history keeps: it is set once, from the title, and then stays.
    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"code": ["title"]}


@admin.register(CertificationComment)
class CertificationCommentAdmin(admin.ModelAdmin):
    list_display = ["draft", "user_id", "by_certifier", "datetime"]
    list_filter = ["by_certifier"]
    search_fields = ["comment", "user_id", "draft__key"]
    list_select_related = ["draft"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
