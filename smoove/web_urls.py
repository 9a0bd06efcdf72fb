from django.contrib.auth import views as auth_views
from django.urls import path

from smoove import views
from smoove.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="smoove/login.html", authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="smoove/password_reset.html",
            email_template_name="smoove/email/password_reset.txt",
            subject_template_name="smoove/email/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="smoove/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="smoove/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="smoove/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("accounts/none/", views.no_account, name="no_account"),
    path("accounts/invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.account_settings, name="settings"),
    path("settings/invite/", views.invite, name="invite"),
    path("settings/api-keys/", views.create_api_key, name="create_api_key"),
    path("settings/api-keys/<int:pk>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("settings/switch/<int:pk>/", views.switch_account, name="switch_account"),
]
