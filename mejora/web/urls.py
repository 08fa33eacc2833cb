from django.contrib.auth import views as auth_views
from django.urls import path

from mejora.web.views import evidence, imports, programs

urlpatterns = [
    path("", programs.home, name="home"),
    path("programas/<int:pk>/", programs.program_detail, name="program-detail"),
    path("programas/<int:pk>/anexos/<slug:kind>/", programs.annex_page, name="annex-page"),
    path(
        "programas/<int:pk>/anexos/<slug:kind>.<slug:file_format>",
        programs.annex_download,
        name="annex-download",
    ),
    path("importar/", imports.import_upload, name="import-upload"),
    path("importar/<str:token>/", imports.import_review, name="import-review"),
    path("importar/<str:token>/progreso/", imports.import_progress, name="import-progress"),
    path("importar/<str:token>/lectura.csv", imports.import_reading, name="import-reading"),
    path("evidencia/<int:pk>/", evidence.evidence_download, name="evidence-download"),
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]
