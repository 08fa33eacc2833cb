from django.contrib.auth import views as auth_views
from django.urls import path

from mejora.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("programas/<int:pk>/", views.program_detail, name="program-detail"),
    path("programas/<int:pk>/anexos/<slug:kind>/", views.annex_page, name="annex-page"),
    path(
        "programas/<int:pk>/anexos/<slug:kind>.<slug:file_format>",
        views.annex_download,
        name="annex-download",
    ),
    path("importar/", views.import_upload, name="import-upload"),
    path("importar/<str:token>/", views.import_review, name="import-review"),
    path("importar/<str:token>/progreso/", views.import_progress, name="import-progress"),
    path("importar/<str:token>/lectura.csv", views.import_reading, name="import-reading"),
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]
