"""Facts suggested from an item's text: event kind, money amounts, financing round, investors,
regulator.

Pure extraction, no database and no writes: ``extract(text)`` applies rules written for how
the 日报 phrases things — ``完成近亿元人民币B轮融资,由天士力资本领投,勤智资本跟投``;
``约959.5百万美元``; ``初步挂牌底价约为人民币5.1亿元``. Storing what was found is
``entities.apply_fact_suggestions(item, by=…)`` (the item's *empty* fields, through
``workflow.edit_item``, and the roles of its investor/regulator links).

``Item.facts`` holds ``{"amounts": [{"amount", "currency", "approximate", "text"}],
"lead_investors": [...], "investors": [...], "regulator": "..."}``; amounts are in units of
the currency (``近亿元`` → 100000000, approximate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .linking import Gazetteer
from .models import EventKind

# ----------------------------------------------------------------------------- amounts

CURRENCIES = {
    "人民币": "CNY",
    "元人民币": "CNY",
    "元": "CNY",
    "美元": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
    "瑞士法郎": "CHF",
}
UNITS = {
    "万亿": Decimal(10) ** 12,
    "千亿": Decimal(10) ** 11,
    "百亿": Decimal(10) ** 10,
    "十亿": Decimal(10) ** 9,
    "亿": Decimal(10) ** 8,
    "千万": Decimal(10) ** 7,
    "百万": Decimal(10) ** 6,
    "十万": Decimal(10) ** 5,
    "万": Decimal(10) ** 4,
    "千": Decimal(10) ** 3,
}
APPROXIMATE = ("近", "约", "超过", "超", "逾", "接近", "将近", "大约", "约为", "不低于", "上下")
_CURRENCY_BEFORE = "人民币|美元|港元|港币|欧元"
_CURRENCY_AFTER = "元人民币|人民币|美元|港元|港币|欧元|日元|英镑|瑞士法郎|元"
_UNIT = "万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千"
_AMOUNT = re.compile(
    rf"(?P<prefix>约为|大约|接近|将近|超过|不低于|近|约|超|逾)?"
    rf"(?P<cur1>{_CURRENCY_BEFORE})?"
    rf"(?:(?<![\d.A-Za-z])(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*)?"
    rf"(?P<unit>{_UNIT})?"
    rf"(?P<cur2>{_CURRENCY_AFTER})?"
)
_LATIN_AMOUNT = re.compile(
    r"(?P<prefix>about |approximately |nearly |over )?"
    r"(?P<cur>US\$|\$|USD ?|€|EUR ?|HK\$|RMB ?)(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"\s*(?P<unit>billion|million|bn|m)?\b",
    re.IGNORECASE,
)
_LATIN_CURRENCIES = {"us$": "USD", "$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR"}
_LATIN_CURRENCIES.update({"hk$": "HKD", "rmb": "CNY"})
_LATIN_UNITS = {"billion": 10**9, "bn": 10**9, "million": 10**6, "m": 10**6}


@dataclass(frozen=True)
class Amount:
    amount: int | float
    currency: str
    approximate: bool
    text: str

    def as_json(self) -> dict:
        return {
            "amount": self.amount,
            "currency": self.currency,
            "approximate": self.approximate,
            "text": self.text,
        }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def extract_amounts(text: str) -> list[Amount]:
    found = []
    for m in _AMOUNT.finditer(text):
        num, unit = m["num"], m["unit"]
        currency = m["cur1"] or m["cur2"]
        if not currency or not (num or unit):
            continue
        if num is None:
            # A bare unit is an amount only as in 近亿元 / 约千万美元: "亿" alone is a word part.
            if not m["prefix"] or not m["cur2"]:
                continue
            value = Decimal(1)
        else:
            try:
                value = Decimal(num.replace(",", ""))
            except InvalidOperation:
                continue
        value *= UNITS.get(unit or "", Decimal(1))
        code = CURRENCIES[m["cur1"]] if m["cur1"] else CURRENCIES[m["cur2"]]
        found.append(Amount(_number(value), code, bool(m["prefix"]), m.group(0)))
    for m in _LATIN_AMOUNT.finditer(text):
        try:
            value = Decimal(m["num"].replace(",", ""))
        except InvalidOperation:
            continue
        value *= _LATIN_UNITS.get((m["unit"] or "").lower(), 1)
        code = _LATIN_CURRENCIES[m["cur"].strip().lower()]
        found.append(Amount(_number(value), code, bool(m["prefix"]), m.group(0).strip()))
    return found


# ----------------------------------------------------------------------------- financing

_ROUND = re.compile(
    r"(?<![A-Za-z])(?P<round>天使\+?|种子|Pre-?IPO|Pre-?[A-F]\+{0,2}|[A-F]\d?\+{0,2}|战略)\s*轮",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[,,;;。!!??\n]")
_NAME_SPLIT = re.compile(r"、|以及|及|和|与|/")
_LEAD = re.compile(r"(?:由)?(?P<names>.+?)(?:共同|联合)?领投")
_FOLLOW = re.compile(
    r"(?P<names>.+?)(?:等)?(?:多家|其他)?(?:机构|投资方|投资人)?"
    r"(?:跟投|参投|共同投资|联合投资|持续加码|追加投资|继续加码|超额认购)"
)
_LEADING_NOISE = re.compile(
    r"^(?:本轮融资|本轮|此轮融资|此次融资|该轮融资|其中)?(?:由|包括|有)?"
    r"(?:老股东|现有股东|新股东|原股东|新投资方)?"
)
_TRAILING_NOISE = re.compile(r"(?:等多家|等知名|等)?(?:机构|投资机构|投资方|投资人)?$")


def normalize_round(raw: str) -> str:
    raw = raw.strip()
    if raw.lower().startswith("pre"):
        rest = raw[3:].lstrip("-")
        return "Pre-IPO" if rest.upper() == "IPO" else f"Pre-{rest.upper()}"
    return raw.upper() if raw.isascii() else raw


def extract_round(text: str) -> str:
    m = _ROUND.search(text)
    return normalize_round(m["round"]) if m else ""


def _names(part: str) -> list[str]:
    part = _LEADING_NOISE.sub("", part.strip())
    part = _TRAILING_NOISE.sub("", part)
    names = []
    for name in _NAME_SPLIT.split(part):
        name = _LEADING_NOISE.sub("", name.strip())
        name = _TRAILING_NOISE.sub("", name).strip()
        if 2 <= len(name) <= 40 and name not in names:
            names.append(name)
    return names


def extract_investors(text: str) -> tuple[list[str], list[str]]:
    """(lead investors, other investors) from 由X领投 / Y跟投 / Z共同投资 clauses."""
    leads, others = [], []
    for clause in _CLAUSES.split(text):
        clause = clause.strip()
        if "领投" in clause:
            m = _LEAD.search(clause)
            if m:
                leads.extend(n for n in _names(m["names"]) if n not in leads)
            continue
        m = _FOLLOW.search(clause)
        if m:
            others.extend(n for n in _names(m["names"]) if n not in others and n not in leads)
    return leads, others


# ----------------------------------------------------------------------------- regulator

# Canonical names as in the gazetteer, so a fact can be matched to an entity page.
REGULATORS = {
    "国家药品监督管理局": ["国家药监局", "中国国家药品监督管理局", "NMPA"],
    "国家药品监督管理局药品审评中心": [
        "药品审评中心",
        "药审中心",
        "CDE",
        "中国国家药品监督管理局药品审评中心",
    ],
    "美国食品药品监督管理局": ["美国食品药品管理局", "FDA"],
    "欧洲药品管理局": ["EMA"],
    "意大利药品管理局": ["AIFA"],
    "国家医疗保障局": ["国家医保局"],
    "国家卫生健康委员会": ["国家卫健委"],
    "日本药品医疗器械综合机构": ["PMDA"],
    "英国药品和保健品管理局": ["MHRA"],
}
_REGULATOR_NAMES = sorted(REGULATORS)
_regulators = Gazetteer(
    (name, i)
    for i, canonical in enumerate(_REGULATOR_NAMES)
    for name in (canonical, *REGULATORS[canonical])
)


def extract_regulator(text: str) -> str:
    mentions = _regulators.find(text)
    return _REGULATOR_NAMES[mentions[0].entity_ids[0]] if mentions else ""


# ----------------------------------------------------------------------------- event kind

# First rule that matches wins: the order settles items that read as two kinds
# (a partnership whose product "已获准上市" is a partnership; a financing names investors).
EVENT_RULES = [
    (EventKind.FINANCING, r"融资|领投|跟投|天使轮|种子轮"),
    (
        EventKind.IPO,
        r"递交(?:了)?(?:\S{0,4})?上市申请|招股|IPO|赴港上市|公开上市|首次公开发行|挂牌上市|"
        r"登陆(?:港交所|科创板|创业板|纳斯达克)|聆讯",
    ),
    (EventKind.MA, r"收购|并购|出售[^。]{0,30}股权|股权转让|转让[^。]{0,30}股权|控股权|要约"),
    (EventKind.PERSONNEL, r"任命|辞去|辞职|离职|卸任|接任|出任|聘任|履新|退休"),
    (EventKind.PARTNERSHIP, r"合作|携手|联手|授权引进|许可协议|备忘录|签署[^。]{0,20}协议"),
    (
        EventKind.APPROVAL,
        r"批准|获批|获准|上市许可|受理|优先审评|突破性疗法|孤儿药资格|认定|注册证",
    ),
    (EventKind.EARNINGS, r"业绩|营业收入|营收|净利润|财报|年报|季报|中报|销售额"),
    (EventKind.POLICY, r"指导原则|征求意见稿|政策|医保目录|药品目录|指南|管理办法|规定|通知"),
    (EventKind.CLINICAL, r"临床|I{1,3}期|[123]期|主要终点|入组|首例|头对头|试验"),
]
_EVENT_RULES = [(kind, re.compile(pattern)) for kind, pattern in EVENT_RULES]


def extract_event_kind(text: str) -> str:
    for kind, pattern in _EVENT_RULES:
        if pattern.search(text):
            return kind
    return ""


# ----------------------------------------------------------------------------- facts


@dataclass
class Facts:
    event_kind: str = ""
    financing_round: str = ""
    amounts: list[Amount] = field(default_factory=list)
    lead_investors: list[str] = field(default_factory=list)
    investors: list[str] = field(default_factory=list)
    regulator: str = ""

    def as_json(self) -> dict:
        """What goes into ``Item.facts`` (empty entries left out)."""
        data = {
            "amounts": [a.as_json() for a in self.amounts],
            "lead_investors": self.lead_investors,
            "investors": self.investors,
            "regulator": self.regulator,
        }
        return {key: value for key, value in data.items() if value}


def extract(text: str) -> Facts:
    text = text or ""
    kind = extract_event_kind(text)
    facts = Facts(event_kind=kind, amounts=extract_amounts(text), regulator=extract_regulator(text))
    if kind == EventKind.FINANCING:
        facts.financing_round = extract_round(text)
        facts.lead_investors, facts.investors = extract_investors(text)
    return facts


def roles_by_name(found: Facts | dict) -> dict[str, str]:
    """``{entity name: link role}`` for the regulator and investors the facts name."""
    facts = found.as_json() if isinstance(found, Facts) else found
    wanted = {}
    for role, names in (
        ("regulator", [facts.get("regulator", "")]),
        ("investor", facts.get("investors", [])),
        ("lead_investor", facts.get("lead_investors", [])),
    ):
        wanted.update({name: role for name in names if name})
    return wanted
