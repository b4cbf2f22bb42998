"""The editorial admin's forms and the behaviour they share.

Forms carry the version the user loaded; a save over somebody else's newer version is
refused *in form validation* (``workflow.check_version``), inside the admin's transaction
with the row locked, so the page re-renders with the user's own text and an error instead of
a redirect that would lose it. ``KeepTextOnRefusal`` does the same for a refusal only the
workflow could foresee.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import workflow
from ..models import (
    Bulletin,
    Item,
)
from .widgets import FactsField, SourcesField


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


# Item fields a conflict can be merged on (the image is a file: it has no loaded value).
MERGEABLE = [f for f in workflow.EDITABLE_FIELDS if f != "image"]


def field_value(instance, name):
    value = getattr(instance, f"{name}_id", None) if name == "section" else getattr(instance, name)
    return value


class ItemForm(VersionedForm):
    """An item with a three-way merge on conflict (``workflow.edit_item(base=…)``).

    ``base`` carries the values the editor loaded. A save over a newer version merges edits
    of different fields; edits of the same field show both sides (``conflicts``) and save
    only when the editor ticks ``overwrite`` — for the version the conflict screen showed.
    """

    base = forms.CharField(
        label=gettext_lazy("打开时的内容"), widget=forms.HiddenInput, required=False
    )
    overwrite = forms.BooleanField(
        label=gettext_lazy("用我的内容覆盖对方的修改(会记入流转记录)"), required=False
    )
    overwrite_version = forms.IntegerField(
        label=gettext_lazy("冲突时看到的版本"), widget=forms.HiddenInput, required=False
    )
    facts = FactsField(
        label=gettext_lazy("要素"),
        help_text=gettext_lazy("自动提取,编辑可逐项更正;没有把握的留空。"),
    )
    sources = SourcesField(label=gettext_lazy("来源"))

    class Meta:
        model = Item
        fields = ["bulletin", *workflow.EDITABLE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflicts = []
        self.merged_with = None
        if self.instance.pk is not None:
            snapshot = {name: field_value(self.instance, name) for name in MERGEABLE}
            self.fields["base"].initial = json.dumps(snapshot, cls=DjangoJSONEncoder)

    def loaded_values(self) -> dict | None:
        try:
            base = json.loads(self.cleaned_data.get("base") or "null")
        except ValueError:
            return None
        return base if isinstance(base, dict) else None

    def mine(self) -> dict:
        """What this form submits for every mergeable field it shows."""
        return {
            n: self.cleaned_data[n]
            for n in MERGEABLE
            if n in self.fields and n in self.cleaned_data
        }

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        refusal = getattr(self, "wf_refusal", None)
        if refusal:  # see KeepTextOnRefusal
            raise ValidationError(refusal, code="refused")
        if self.instance.pk is None or not self.content_changed():
            return cleaned
        current = (
            # only the item's row: PostgreSQL refuses FOR UPDATE across the nullable join
            Item.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .get(pk=self.instance.pk)
        )
        expected = cleaned.get("expected_version")
        if expected is not None and int(expected) == current.version:
            return cleaned
        base = self.loaded_values()
        if base is None:  # no record of what was loaded: the plain refusal
            return super().clean()
        changes, conflicts = workflow.merge_fields(base, self.mine(), current)
        if not conflicts:
            self.merged_with = current
            return cleaned
        if cleaned.get("overwrite") and cleaned.get("overwrite_version") == current.version:
            return cleaned
        labels = "、".join(str(Item._meta.get_field(f).verbose_name) for f in conflicts)
        self.conflicts = [
            {
                "name": name,
                "label": Item._meta.get_field(name).verbose_name,
                "theirs": _shown(field_value(current, name), name),
                "mine": _shown(self.cleaned_data.get(name), name),
                "diff": workflow.text_diff(
                    str(_shown(field_value(current, name), name)),
                    str(_shown(self.cleaned_data.get(name), name)),
                ),
            }
            for name in conflicts
        ]
        self.data = self.data.copy()
        self.data[self.add_prefix("overwrite_version")] = current.version
        self.data.pop(self.add_prefix("overwrite"), None)
        raise ValidationError(
            _(
                "%(user)s 在您打开之后也修改了这条的:%(fields)s(现为版本 %(v)s)。您的内容没有保存,"
                "仍在下面;请对照双方的差异,改好后再保存,或在条目页勾选“用我的内容覆盖对方的修改”。"
                "%(current)s"
            )
            % {
                "user": current.updated_by.get_username() if current.updated_by else "?",
                "fields": labels,
                "v": current.version,
                "current": self.describe_current(current),
            },
            code="conflict",
        )

    def workflow_save_kwargs(self) -> dict:
        """How ``workflow.edit_item`` is called for this form's changes."""
        data = self.cleaned_data
        base = self.loaded_values()
        if base is None:
            changes = {n: data[n] for n in self.content_changed() if n in workflow.EDITABLE_FIELDS}
            return {"expected_version": data["expected_version"], **changes}
        changes = self.mine()
        if "image" in self.content_changed():
            changes["image"] = data["image"]
        if data.get("overwrite") and data.get("overwrite_version") is not None:
            return {
                "expected_version": data["overwrite_version"],
                "base": base,
                "overwrite": True,
                **changes,
            }
        return {"expected_version": data["expected_version"], "base": base, **changes}

    def describe_current(self, current) -> str:
        return _("现在保存的正文是:「%(body)s」;标题:「%(headline)s」。") % {
            "body": current.body,
            "headline": current.headline,
        }


def _shown(value, name):
    if name == "section" and value is not None:
        from ..models import Section

        return str(Section.objects.filter(pk=getattr(value, "pk", value)).first() or value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


class ItemInlineForm(ItemForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Declared fields come with every form; the inline shows neither facts nor sources
        # nor the overwrite choice, and a field not shown must never be saved (as empty).
        for name in ("facts", "sources", "overwrite", "overwrite_version"):
            self.fields.pop(name, None)
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
