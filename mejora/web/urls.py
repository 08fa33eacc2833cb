from django.contrib.auth import views as auth_views
from django.urls import path

from mejora.web.views import (
    activities,
    balance,
    commitments,
    cuts,
    dashboards,
    evidence,
    imports,
    notices,
    pending,
    people,
    positions,
    programs,
    review,
    search,
)

urlpatterns = [
    path("", programs.home, name="home"),
    path("programas/<int:pk>/", programs.program_detail, name="program-detail"),
    path("programas/<int:pk>/anexos/<slug:kind>/", programs.annex_page, name="annex-page"),
    path(
        "programas/<int:pk>/anexos/<slug:kind>.<slug:file_format>",
        programs.annex_download,
        name="annex-download",
    ),
    path("programas/<int:pk>/enviar/", activities.program_submit, name="program-submit"),
    path("actividades/<int:pk>/", activities.activity_detail, name="activity-detail"),
    path("actividades/<int:pk>/avance/", activities.activity_progress, name="activity-progress"),
    path(
        "actividades/<int:pk>/replantear/", activities.activity_replanning, name="activity-replan"
    ),
    path("actividades/<int:pk>/enviar/", activities.activity_submit, name="activity-submit"),
    path("revision/", review.review_queue, name="review-queue"),
    path("revision/<int:pk>/", review.review_decide, name="review-decide"),
    path("cortes/", cuts.cut_list, name="cut-list"),
    path("cortes/<int:pk>/cerrar/", cuts.cut_closing, name="cut-close"),
    path("pendientes/", pending.pending, name="pending"),
    path("tablero/", dashboards.dashboard_page, name="dashboard"),
    path("tablero/actividades/", dashboards.dashboard_activities, name="dashboard-activities"),
    path("tablero/vencidas/", dashboards.dashboard_overdue, name="dashboard-overdue"),
    path("balance/", balance.balance_page, name="balance"),
    path(
        "balance/descargar.<slug:file_format>", balance.balance_download, name="balance-download"
    ),
    path("buscar/", search.search, name="search"),
    path("duplicados/", search.near_duplicates, name="near-duplicates"),
    path("duplicados/<int:pk>/relacionar/", search.near_duplicate_link, name="near-duplicate-link"),
    path("avisos/", notices.notice_preferences, name="notice-preferences"),
    path("importar/", imports.import_upload, name="import-upload"),
    path("importar/<str:token>/", imports.import_review, name="import-review"),
    path("importar/<str:token>/progreso/", imports.import_progress, name="import-progress"),
    path("importar/<str:token>/lectura.csv", imports.import_reading, name="import-reading"),
    path(
        "importar/<str:token>/celda/<int:index>.png",
        imports.import_cell_image,
        name="import-cell-image",
    ),
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
    path(
        "compromisos/evaluaciones/<int:pk>/posicion/",
        positions.position_detail,
        name="position-detail",
    ),
    path(
        "compromisos/evaluaciones/<int:pk>/posicion/editar/",
        positions.position_edit,
        name="position-edit",
    ),
    path(
        "compromisos/evaluaciones/<int:pk>/posicion/anexo-f.<str:file_format>",
        positions.position_download,
        name="position-download",
    ),
    path(
        "compromisos/recomendaciones/<int:pk>/",
        positions.recommendation_edit,
        name="position-recommendation-edit",
    ),
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("personas/", people.people_list, name="people"),
    path("personas/invitar/", people.person_invite, name="person-invite"),
    path("personas/<int:pk>/", people.person_detail, name="person-detail"),
    path("personas/<int:pk>/desactivar/", people.person_deactivate, name="person-deactivate"),
    path("personas/<int:pk>/reenviar/", people.invitation_resend, name="invitation-resend"),
    path("personas/membresias/<int:pk>/", people.membership_edit, name="membership-edit"),
    path(
        "personas/membresias/<int:pk>/quitar/", people.membership_remove, name="membership-remove"
    ),
    path(
        "invitacion/<uidb64>/<token>/",
        people.InvitationConfirmView.as_view(),
        name="invitation-confirm",
    ),
    path("invitacion/lista/", people.invitation_complete, name="invitation-complete"),
    path("contrasena/olvido/", people.password_reset, name="password-reset"),
    path("contrasena/olvido/enviado/", people.password_reset_sent, name="password-reset-sent"),
    path(
        "contrasena/nueva/<uidb64>/<token>/",
        people.PasswordChooseView.as_view(),
        name="password-reset-confirm",
    ),
    path("contrasena/nueva/lista/", people.password_reset_complete, name="password-reset-complete"),
]
