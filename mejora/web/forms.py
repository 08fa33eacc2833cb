"""Forms check the shape of what a person sends; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mejora.annex.document import AnnexRejected
from mejora.annex.parsers import format_of

MAX_UPLOAD_MB = 25


class AnnexUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Anexo (TXT, CSV, XLSX, DOCX o PDF, o escaneado: PDF, PNG, JPEG o TIFF)"),
        help_text=_("Se revisa antes de importar: nada se escribe hasta que usted confirma."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("El archivo pesa más de %(mb)s MB."), params={"mb": MAX_UPLOAD_MB}
            )
        try:
            format_of(upload.name)
        except AnnexRejected as rejection:
            raise forms.ValidationError(rejection.message.translated(gettext)) from None
        return upload


class ImportReviewForm(forms.Form):
    """The person's decision on each finding: `confirmo` ticks, `correccion_<n>` values.

    Finding rows are many and plain, so the template writes their inputs and this form only
    gathers them; whether a correction can be read is the review service's rule.
    """

    stamp = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirmo_todo = forms.BooleanField(
        required=False, label=_("Confirmo todas las lecturas que no corregí.")
    )

    def decisions(self, count: int) -> tuple[dict[int, str], set[int]]:
        """What was typed for each finding, and which findings were confirmed."""
        corrections = {
            index: typed
            for index in range(count)
            if (typed := self.data.get(f"correccion_{index}", "").strip())
        }
        if self.cleaned_data["confirmo_todo"]:
            return corrections, set(range(count))
        ticked = (v for v in self.data.getlist("confirmo") if v.isascii() and v.isdecimal())
        return corrections, {index for index in map(int, ticked) if index < count}
