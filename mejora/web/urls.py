from django.contrib.auth import views as auth_views
from django.urls import path

from mejora.web.views import commitments, evidence, imports, programs

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
    path(
        "programas/<int:pk>/compromisos/",
        commitments.commitments_program,
        name="commitments-program",
    ),
    path(
        "programas/<int:pk>/compromisos/evaluacion/",
        commitments.evaluation_new,
        name="commitments-evaluation-new",
    ),
    path(
        "programas/<int:pk>/compromisos/asm/",
        commitments.aspect_new,
        name="commitments-aspect-new",
    ),
    path(
        "compromisos/evaluaciones/<int:pk>/recomendacion/",
        commitments.recommendation_new,
        name="commitments-recommendation-new",
    ),
    path("compromisos/asm/<int:pk>/", commitments.aspect_edit, name="commitments-aspect-edit"),
    path(
        "compromisos/asm/<int:pk>/relacionar/",
        commitments.aspect_relate,
        name="commitments-aspect-relate",
    ),
    path(
        "compromisos/asm/<int:pk>/actividad/",
        commitments.activity_new,
        name="commitments-activity-new",
    ),
    path(
        "compromisos/actividades/<int:pk>/",
        commitments.activity_edit,
        name="commitments-activity-edit",
    ),
    path("compromisos/fecha/", commitments.due_reading, name="commitments-due-reading"),
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]
