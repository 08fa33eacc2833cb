"""Forms check the shape of what a person sends; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_MB = 25


class AnnexUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Anexo (TXT, CSV, XLSX, DOCX o PDF)"),
        help_text=_("Se revisa antes de importar: nada se escribe hasta que usted confirma."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("El archivo pesa más de %(mb)s MB."), params={"mb": MAX_UPLOAD_MB}
            )
        return upload
