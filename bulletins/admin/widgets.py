"""Item facts and sources edited as fields, not raw JSON (the contract: FACTS_SCHEMA).

``FactsField`` shows the headline amount (number, unit, currency, approximate), the investors
by role (lead, others, existing), the regulator, the decision, the drug and the indication;
keys it does not show (``amounts``, ``licensing``, ``ma`` …) travel through untouched in a
hidden copy, so an editor's correction never drops what extraction found. ``SourcesField``
is one URL per line, http or https only, each refusal naming its line.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CURRENCIES = ["CNY", "USD", "HKD", "EUR", "JPY", "GBP", "CHF"]
CURRENCY_LABELS = {
    "CNY": gettext_lazy("人民币"),
    "USD": gettext_lazy("美元"),
    "HKD": gettext_lazy("港元"),
    "EUR": gettext_lazy("欧元"),
    "JPY": gettext_lazy("日元"),
    "GBP": gettext_lazy("英镑"),
    "CHF": gettext_lazy("瑞士法郎"),
}
UNITS = [
    ("100000000", gettext_lazy("亿")),
    ("10000", gettext_lazy("万")),
    ("1000000", gettext_lazy("百万")),
    ("1000000000", gettext_lazy("十亿")),
    ("1", gettext_lazy("(个位)")),
]
DECISIONS = [
    ("", gettext_lazy("(未指定)")),
    ("approval", gettext_lazy("批准上市")),
    ("conditional_approval", gettext_lazy("附条件批准")),
    ("acceptance", gettext_lazy("受理")),
    ("priority_review", gettext_lazy("优先审评")),
    ("breakthrough", gettext_lazy("突破性疗法")),
    ("ind", gettext_lazy("临床试验许可")),
    ("orphan", gettext_lazy("孤儿药资格")),
    ("fast_track", gettext_lazy("快速通道")),
    ("clinical_hold", gettext_lazy("暂停临床")),
    ("rejection", gettext_lazy("不予批准")),
]
INVESTOR_ROLES = [
    ("lead_investors", gettext_lazy("领投方")),
    ("investors", gettext_lazy("投资方(跟投)")),
    ("old_investors", gettext_lazy("老股东")),
]
TEXT_FACTS = [
    ("regulator", gettext_lazy("监管机构")),
    ("drug", gettext_lazy("药品")),
    ("indication", gettext_lazy("适应症")),
]
SHOWN = {"amount", "regulator", "decision", "drug", "indication", *dict(INVESTOR_ROLES)}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("、", "\n").splitlines() if line.strip()]


def _unit_of(amount) -> tuple[str, str]:
    """An amount as the number an editor reads, in 亿 or 万 when it divides nicely."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount), "1"
    for unit in ("100000000", "10000"):
        if value >= Decimal(unit):
            shown = (value / Decimal(unit)).normalize()
            return format(shown, "f"), unit
    return format(value.normalize(), "f"), "1"


class FactsWidget(forms.Widget):
    template_name = "bulletins/widgets/facts.html"  # app templates: the form renderer looks there

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value or "{}")
            except ValueError:
                value = {}
        return value if isinstance(value, dict) else {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        facts = self.format_value(value)
        amount = facts.get("amount") if isinstance(facts.get("amount"), dict) else {}
        number, unit = (
            _unit_of(amount["amount"])
            if amount.get("amount") not in (None, "")
            else ("", "100000000")
        )
        rest = {k: v for k, v in facts.items() if k not in SHOWN}
        context["widget"]["facts"] = {
            "amount": number,
            "unit": unit,
            "units": UNITS,
            "currency": amount.get("currency", ""),
            "currencies": [(c, CURRENCY_LABELS[c]) for c in CURRENCIES],
            "approximate": bool(amount.get("approximate")),
            "amount_text": amount.get("text", ""),
            "investors": [
                (key, label, "\n".join(facts.get(key) or [])) for key, label in INVESTOR_ROLES
            ],
            "texts": [(key, label, facts.get(key) or "") for key, label in TEXT_FACTS],
            "decision": facts.get("decision", ""),
            "decisions": DECISIONS,
            "rest": json.dumps(rest, ensure_ascii=False),
            "rest_keys": "、".join(rest),
        }
        return context

    def value_from_datadict(self, data, files, name):
        if f"{name}__rest" not in data:  # not rendered by this widget (e.g. the API)
            return data.get(name)
        try:
            facts = json.loads(data.get(f"{name}__rest") or "{}")
        except ValueError:
            facts = {}
        number = (data.get(f"{name}__amount") or "").strip().replace(",", "")
        if number:
            amount = {"amount": number, "unit": data.get(f"{name}__unit") or "1"}
            currency = data.get(f"{name}__currency") or ""
            if currency:
                amount["currency"] = currency
            if data.get(f"{name}__approximate"):
                amount["approximate"] = True
            if (data.get(f"{name}__amount_text") or "").strip():
                amount["text"] = data[f"{name}__amount_text"].strip()
            facts["amount"] = amount
        for key, _label in INVESTOR_ROLES:
            names = _lines(data.get(f"{name}__{key}", ""))
            if names:
                facts[key] = names
        for key, _label in TEXT_FACTS:
            if (data.get(f"{name}__{key}") or "").strip():
                facts[key] = data[f"{name}__{key}"].strip()
        if data.get(f"{name}__decision"):
            facts["decision"] = data[f"{name}__decision"]
        return json.dumps(facts, ensure_ascii=False)

    def value_omitted_from_data(self, data, files, name):
        return f"{name}__rest" not in data and name not in data


class FactsField(forms.JSONField):
    widget = FactsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        facts = super().to_python(value)
        if facts in (None, ""):
            return {}
        if not isinstance(facts, dict):
            raise ValidationError(_("要素应为一组字段。"), code="invalid")
        amount = facts.get("amount")
        if isinstance(amount, dict) and "unit" in amount:
            amount = dict(amount)
            try:
                value = Decimal(str(amount.pop("amount"))) * Decimal(amount.pop("unit"))
            except (InvalidOperation, ValueError) as exc:
                raise ValidationError(
                    _("金额应为数字,例如 2.8(单位选“亿”)。"), code="invalid"
                ) from exc
            if value < 0:
                raise ValidationError(_("金额不能为负数。"), code="invalid")
            amount["amount"] = int(value) if value == value.to_integral_value() else float(value)
            facts["amount"] = amount
        currency = isinstance(amount, dict) and amount.get("currency")
        if currency and currency not in CURRENCIES:
            raise ValidationError(_("不认识的币种:%(c)s。") % {"c": currency}, code="invalid")
        if facts.get("decision") and facts["decision"] not in dict(DECISIONS):
            raise ValidationError(_("不认识的审批结论。"), code="invalid")
        return facts


class SourcesWidget(forms.Textarea):
    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 3, "cols": 80, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return "" if value is None else str(value)


class SourcesField(forms.Field):
    """One source URL per line; only http:// and https:// (a reader clicks them)."""

    widget = SourcesWidget
    validator = URLValidator(schemes=["http", "https"])

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", gettext_lazy("每行一个网址,只接受 http:// 或 https:// 开头的链接。")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if isinstance(value, str) and value.strip().startswith("["):
            try:  # a JSON list, as the field used to take (scripts, old forms)
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        urls, errors = [], []
        for number, line in enumerate((value or "").splitlines(), 1):
            url = line.strip()
            if not url:
                continue
            try:
                self.validator(url)
            except ValidationError:
                errors.append(
                    _("第 %(n)s 行“%(url)s”不是 http:// 或 https:// 开头的有效网址。")
                    % {"n": number, "url": url[:60]}
                )
                continue
            if url not in urls:
                urls.append(url)
        if errors:
            raise ValidationError(errors, code="invalid")
        return urls

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True
