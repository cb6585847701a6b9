from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue_page, name="certification-queue"),
    path("<uuid:draft_id>/", views.review_page, name="certification-review"),
    path("<uuid:draft_id>/claim/", views.claim_view, name="certification-claim"),
    path("<uuid:draft_id>/release/", views.release_view, name="certification-release"),
    path("<uuid:draft_id>/comments/", views.review_comments, name="certification-comments"),
    path("<uuid:draft_id>/live/", views.review_live, name="certification-live"),
    path("<uuid:draft_id>/changes/", views.review_changes_region, name="certification-changes"),
    path("<uuid:draft_id>/<str:decision>/", views.decide_view, name="certification-decide"),
]
