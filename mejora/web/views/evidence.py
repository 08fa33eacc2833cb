"""Documentos probatorios handed over as downloads, never shown inside our pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from mejora.accounts.access import get_evidence_for_user


@require_safe
@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_evidence_for_user(request.user, pk)
    if not evidence.file:
        raise Http404(_("Este documento probatorio no es un archivo."))
    try:
        stream = default_storage.open(evidence.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("El archivo de este documento probatorio ya no está guardado.")) from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    # The file is the uploader's: a browser must neither guess its type nor run it as ours.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Only those who may read the report get it: no shared cache on the way may keep a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response
