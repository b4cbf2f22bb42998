"""The editorial admin's forms and the behaviour they share.

Forms carry the version the user loaded; a save over somebody else's newer version is
refused *in form validation* (``workflow.check_version``), inside the admin's transaction
with the row locked, so the page re-renders with the user's own text and an error instead of
a redirect that would lose it. ``KeepTextOnRefusal`` does the same for a refusal only the
workflow could foresee.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import workflow
from ..models import (
    Bulletin,
    Item,
)


def redirect_back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def copy_row(target, source) -> None:
    """Make the admin's in-memory object the row the workflow wrote (it goes on to log it)."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class VersionedForm(forms.ModelForm):
    """A model form that refuses to save over a version the user never saw.

    ``clean()`` locks the row (the admin validates and saves in one transaction) and
    compares its version with the one the page was loaded with. On a conflict the form
    is re-rendered with the user's text and an error quoting what is saved now; the hidden
    version is moved to the current one, so that saving again is a deliberate overwrite.
    """

    expected_version = forms.IntegerField(
        label=gettext_lazy("打开时的版本"), widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version

    def content_changed(self) -> list[str]:
        return [name for name in self.changed_data if name != "expected_version"]

    def describe_current(self, current) -> str:
        return ""

    def clean(self):
        cleaned = super().clean()
        refusal = getattr(self, "wf_refusal", None)
        if refusal:  # see KeepTextOnRefusal
            raise ValidationError(refusal, code="refused")
        if self.instance.pk is None or not self.content_changed():
            return cleaned
        model = type(self.instance)
        current = model.objects.select_for_update().get(pk=self.instance.pk)
        try:
            workflow.check_version(current, cleaned.get("expected_version"))
        except workflow.TransitionNotAllowed as exc:
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_version")] = current.version
            raise ValidationError(
                "%(message)s %(current)s",
                code="conflict",
                params={"message": exc.message, "current": self.describe_current(current)},
            ) from exc
        return cleaned


class ItemForm(VersionedForm):
    class Meta:
        model = Item
        fields = ["bulletin", *workflow.EDITABLE_FIELDS]

    def describe_current(self, current) -> str:
        return _("现在保存的正文是:「%(body)s」;标题:「%(headline)s」。") % {
            "body": current.body,
            "headline": current.headline,
        }


class ItemInlineForm(ItemForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An existing item changes section by dragging it; a new one picks its section here.
        if self.instance.pk is not None and "section" in self.fields:
            self.fields["section"].disabled = True


class BulletinForm(VersionedForm):
    # "item_id:section_id,…" in the order the rows were dragged into; empty when untouched.
    item_order = forms.CharField(
        label=gettext_lazy("条目顺序"), widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = Bulletin
        fields = ["issued_on", "dateline"]

    def content_changed(self) -> list[str]:
        return [n for n in super().content_changed() if n != "item_order"]

    def describe_current(self, current) -> str:
        return _("现在保存的电头是:「%(dateline)s」。") % {"dateline": current.dateline}

    def clean_item_order(self) -> list[tuple[int, int]] | None:
        raw = self.cleaned_data.get("item_order", "").strip()
        if not raw:
            return None
        try:
            pairs = [tuple(int(n) for n in part.split(":")) for part in raw.split(",")]
        except ValueError as exc:
            raise ValidationError(_("条目顺序无法识别。"), code="invalid") from exc
        if any(len(pair) != 2 for pair in pairs):
            raise ValidationError(_("条目顺序无法识别。"), code="invalid")
        return pairs


class KeepTextOnRefusal:
    """When the workflow refuses a save the form could not foresee (a guard inside the
    service), the admin's transaction rolls back and the page is rendered again from the
    same POST, with the refusal as the form's error: the user's text stays on screen."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_wf_refusal", None)
        if refusal:
            form = type(form.__name__, (form,), {"wf_refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.TransitionNotAllowed as exc:
            if request.method != "POST" or getattr(request, "_wf_refusal", None):
                raise
            request._wf_refusal = exc.message
            return super().changeform_view(request, object_id, form_url, extra_context)
