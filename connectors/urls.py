"""The dashboard's pages: sign-in, the creator pages and (included) the certifier pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .pages import draft_create, draft_list, draft_page, live, runs, support

urlpatterns = [
    path("", draft_list.draft_list, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("drafts/new/", draft_create.draft_create, name="draft-create"),
    path("drafts/<uuid:draft_id>/", draft_page.draft_detail, name="draft-detail"),
    path("drafts/<uuid:draft_id>/fields/<str:name>/", draft_page.draft_field, name="draft-field"),
    path(
        "drafts/<uuid:draft_id>/actions/<str:name>/", draft_page.draft_action, name="draft-action"
    ),
    path(
        "drafts/<uuid:draft_id>/private-projects/<str:operation>/",
        draft_page.draft_private_projects,
        name="draft-private-projects",
    ),
    path("drafts/<uuid:draft_id>/comments/", draft_page.draft_comments, name="draft-comments"),
    path("drafts/<uuid:draft_id>/delete/", draft_page.draft_delete, name="draft-delete"),
    path("drafts/<uuid:draft_id>/live/", live.draft_live, name="draft-live"),
    path("drafts/<uuid:draft_id>/runs/<uuid:run_id>/", runs.draft_run, name="draft-run"),
    path(
        "drafts/<uuid:draft_id>/runs/cancel/<str:report>/",
        draft_page.draft_run_cancel,
        name="draft-run-cancel",
    ),
    path(
        "drafts/<uuid:draft_id>/runs/<uuid:run_id>/logs/<int:log_id>/",
        runs.draft_step_log,
        name="draft-step-log",
    ),
    path("support/", support.support_overview, name="support-overview"),
    path("", include("connectors.notifications.urls")),
    path("certification/", include("certification.urls")),
]
