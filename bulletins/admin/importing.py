"""The admin page "paste an issue": paste the whole 日报, preview the parse, save it as a draft.

Saving is allowed only for the exact text that was previewed (a digest travels with the
form), so the headline choices made on the preview always refer to the items shown — and so
do the discoveries: each new entity the import would create is shown with a ticked box, and
only the ticked ones are created on save (an unticked one stays a candidate).
"""

import hashlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import limits, sections, workflow
from ..importers.parser import ParseError, split_lines
from ..importers.service import plan_import, save_plan

MAX_TEXT_LENGTH = limits.MAX_IMPORT_CHARS
LEAVE_OUT = "none"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class ImportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("整期日报全文"),
        max_length=MAX_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"}),
        help_text=gettext_lazy(
            "从 Word、微信或邮件中原样粘贴:第一行标题(头条用“;”分隔,以“ | 日报”结尾),"
            "第二行电头,如 (医药健闻2026年3月17日讯),然后是栏目名和条目,每段一条。"
        ),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("替换同一天仍为草稿的日报"),
        required=False,
    )
    previewed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The parser refuses a NUL (any control character) with its line; Django's own
        # validator would refuse it without saying where.
        field = self.fields["text"]
        field.validators = [
            v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


def headline_choices_from(data) -> dict[int, int | None]:
    """The editor's choice for each headline rank (``headline_<rank>`` fields of the
    preview): an item index, or None to leave it out. Ranks the plan lacks are ignored."""
    choices = {}
    for key, value in data.items():
        rank = key.removeprefix("headline_")
        if key.startswith("headline_") and rank.isdigit():
            if value == LEAVE_OUT:
                choices[int(rank)] = None
            elif value.isdigit():
                choices[int(rank)] = int(value)
    return choices


def import_view(request):
    if not workflow.can(request.user, "edit"):
        raise PermissionDenied
    form = ImportForm(request.POST or None)
    context = {
        **admin.site.each_context(request),
        "title": _("粘贴导入整期日报"),
        "form": form,
        "leave_out": LEAVE_OUT,
    }
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        wants_save = "save" in request.POST
        if wants_save and form.cleaned_data["previewed"] != digest(text):
            wants_save = False
            context["notice"] = _("文本在预览后被修改过,请先查看新的解析结果,再保存。")
        choices = {}
        if form.cleaned_data["previewed"] == digest(text):
            choices = headline_choices_from(request.POST)
        try:
            plan = plan_import(text, headline_choices=choices or None)  # once per request
        except ParseError as error:
            context.update(error=error, error_line=_line(text, error.line))
            return TemplateResponse(request, "admin/bulletins/import_form.html", context)
        context.update(plan=plan, digest=digest(text), items=plan.items)
        try:  # say so on the preview already, not only when saving
            sections.require_known([(s.name, s.line) for s in plan.sections], by=request.user)
        except workflow.TransitionNotAllowed as refusal:
            context["refusal"] = refusal.message
        if wants_save:
            try:
                result = save_plan(
                    plan,
                    by=request.user,
                    replace=form.cleaned_data["replace"],
                    # the boxes ticked on the preview; a discovery the preview did not show
                    # (the gazetteer changed meanwhile) is not created: it stays a candidate
                    discoveries=request.POST.getlist("discover"),
                )
            except (ParseError, workflow.TransitionNotAllowed) as error:
                context["refusal"] = getattr(error, "message", str(error))
            else:
                messages.success(
                    request,
                    _("已导入 %(date)s 的日报草稿:%(n)s 条条目。")
                    % {"date": result.bulletin.issued_on, "n": len(result.plan.items)},
                )
                for warning in result.plan.warnings:
                    messages.warning(request, str(warning))
                return redirect("admin:bulletins_bulletin_change", result.bulletin.pk)
    return TemplateResponse(request, "admin/bulletins/import_form.html", context)


def _line(text: str, number: int) -> str:
    lines = split_lines(text)
    return lines[number - 1] if 0 < number <= len(lines) else ""
