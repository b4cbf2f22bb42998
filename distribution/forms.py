from django import forms
from django.utils.translation import gettext_lazy as _


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("邮箱地址"),
        max_length=254,
        error_messages={
            "required": _("请填写邮箱地址。"),
            "invalid": _("这不是有效的邮箱地址,例如 reader@example.com。"),
        },
    )
    wants_issue = forms.BooleanField(label=_("每天收到完整的日报"), required=False, initial=True)
    entity = forms.CharField(required=False, widget=forms.HiddenInput)


class PreferencesForm(forms.Form):
    wants_issue = forms.BooleanField(label=_("每天收到完整的日报"), required=False)
    paused = forms.BooleanField(label=_("暂停接收邮件"), required=False)
    unfollow = forms.TypedMultipleChoiceField(
        label=_("取消关注"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, follows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unfollow"].choices = [(f.entity_id, f.entity.name) for f in follows]
