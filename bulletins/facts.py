"""Facts read from an item's text: event kind, amounts, financing round, investors, regulator,
approval decision, licensing terms, M&A — the contract in ``/work/notes/FACTS_SCHEMA.md``.

Pure extraction, no database and no writes: ``extract(text)`` applies rules written for how
the 日报 phrases things — ``完成近亿元人民币B轮融资,由天士力资本领投,勤智资本跟投``;
``约959.5百万美元``; ``首付款1亿美元,里程碑付款最高达9亿美元,总额最高10亿美元``. A field
the rules are unsure about is left out, never guessed. Storing what was found is
``entities.apply_fact_suggestions(item, by=…)`` (the item's *empty* fields, through
``workflow.edit_item``, and the roles of its investor/regulator links).

``Item.facts`` keys (each optional): ``amounts`` (every amount, in order), ``amount`` (the
headline amount), ``lead_investors``, ``investors``, ``old_investors``, ``regulator``
(canonical name), ``decision``, ``drug``, ``indication``, ``licensing`` (``upfront``,
``milestones``, ``total``), ``ma`` (``buyer``, ``target``, ``price``, ``stake``). An amount is
``{"amount", "currency", "approximate", "text"}`` (+ ``"upper"`` for a range), in units of the
currency: ``近亿元`` → 100000000, approximate.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .linking import Gazetteer
from .models import EventKind

# ----------------------------------------------------------------------------- amounts

CURRENCIES = {
    "人民币": "CNY",
    "元人民币": "CNY",
    "元": "CNY",
    "美元": "USD",
    "美金": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
    "瑞士法郎": "CHF",
    "瑞郎": "CHF",
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
_PREFIX = "不超过|不高于|不多于|最多|约为|大约|接近|将近|超过|不低于|不少于|高达|最高达|最高|近|约|超|逾|达|数"
_APPROXIMATE = re.compile("^(?:约为|大约|接近|将近|超过|不低于|不少于|近|约|超|逾|数)")
_CURRENCY_BEFORE = "人民币|美元|港元|港币|欧元|日元|英镑"
_CURRENCY_AFTER = "元人民币|人民币|美元|美金|港元|港币|欧元|日元|英镑|瑞士法郎|瑞郎|元"
_UNIT = "万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千"
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?P<prefix>{_PREFIX})?"
    rf"(?P<cur1>{_CURRENCY_BEFORE})?"
    rf"(?:(?<![\d.A-Za-z])(?P<num>{_NUM})\s*)?"
    rf"(?P<unit>{_UNIT})?"
    # a range: 1-2亿元, 1亿至1.5亿元, 5000万~1亿美元 (the lower bound is the amount)
    rf"(?:\s*(?:-|~|\uff5e|—|–|至|到)\s*(?P<num2>{_NUM})\s*(?P<unit2>{_UNIT})?)?"
    rf"(?P<cur2>{_CURRENCY_AFTER})?"
)
_LATIN_AMOUNT = re.compile(
    r"(?P<prefix>about |approximately |nearly |over |up to )?"
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
    start: int = field(default=0, compare=False)
    upper: int | float | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def as_json(self) -> dict:
        data = {
            "amount": self.amount,
            "currency": self.currency,
            "approximate": self.approximate,
            "text": self.text,
        }
        if self.upper is not None:
            data["upper"] = self.upper
        return data


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _decimal(num: str | None) -> Decimal | None:
    try:
        return Decimal(num.replace(",", "")) if num else None
    except InvalidOperation:
        return None


def extract_amounts(text: str) -> list[Amount]:
    found = []
    for m in _AMOUNT.finditer(text):
        num, unit = m["num"], m["unit"]
        currency = m["cur1"] or m["cur2"]
        if not currency or not (num or unit):
            continue
        prefix = m["prefix"] or ""
        if num is None:
            # A bare unit is an amount only as in 近亿元 / 约千万美元 / 数亿元: "亿" alone is a
            # word part.
            if not prefix or not m["cur2"] or m["num2"]:
                continue
            value = Decimal(1)
        else:
            value = _decimal(num)
            if value is None:
                continue
        unit2 = m["unit2"] or unit or ""
        upper = _decimal(m["num2"])
        # 1-2亿元: the unit after the range belongs to both ends
        value *= UNITS.get(unit or (unit2 if upper is not None else ""), Decimal(1))
        if upper is not None:
            upper *= UNITS.get(unit2, Decimal(1))
            if upper <= value:
                upper = None
        code = CURRENCIES[m["cur1"]] if m["cur1"] else CURRENCIES[m["cur2"]]
        found.append(
            Amount(
                _number(value),
                code,
                bool(_APPROXIMATE.match(prefix)) or (num is None),
                m.group(0),
                m.start(),
                _number(upper) if upper is not None else None,
            )
        )
    for m in _LATIN_AMOUNT.finditer(text):
        value = _decimal(m["num"])
        if value is None:
            continue
        value *= _LATIN_UNITS.get((m["unit"] or "").lower(), 1)
        code = _LATIN_CURRENCIES[m["cur"].strip().lower()]
        approximate = bool(m["prefix"]) and m["prefix"].strip().lower() != "up to"
        found.append(Amount(_number(value), code, approximate, m.group(0).strip(), m.start(), None))
    found.sort(key=lambda a: a.start)
    return found


# ----------------------------------------------------------------------------- financing

_ROUND = re.compile(
    r"(?<![A-Za-z])(?P<round>天使\+?|种子|Pre-?IPO|Pre-?[A-F]\+{0,2}|[A-F]\d?\+{0,2}|战略)\s*轮"
    r"|(?P<strategic>战略融资|战略投资)|(?P<placement>定增|定向增发|向特定对象发行|非公开发行)",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[,\uff0c;\uff1b。!\uff01?\uff1f\n]")
_LEAD = re.compile(r"(?:由)?(?P<names>.+?)(?:共同|联合)?(?:领投|领衔|独家投资|全额认购|独家认购)")
_FOLLOW = re.compile(
    r"(?P<names>.+?)(?:等)?(?:多家|其他|知名)?(?:机构|投资方|投资人|投资机构)?"
    r"(?:跟投|参投|共同投资|联合投资|持续加码|追加投资|继续加码|持续跟投|超额认购|参与投资|"
    r"参与(?:了)?(?:本轮|此轮|本次)?(?:融资|投资)?$)"
)
_FOLLOW_WORDS = re.compile(
    r"跟投|参投|共同投资|联合投资|持续加码|追加投资|继续加码|持续跟投|超额认购|参与投资|参与"
)
_OLD = re.compile(r"老股东|现有股东|原有股东|原股东|持续加码|继续加码|追加投资|持续跟投")
_LEADING_NOISE = re.compile(
    r"^(?:本轮融资|本轮|此轮融资|此次融资|本次融资|该轮融资|其中|同时|此外|并|另外)?"
    r"(?:由|包括|有|获得|获)?(?:老股东|现有股东|原有股东|新股东|原股东|新投资方|"
    r"(?:(?:天使|种子|Pre-[A-Z]|[A-Z]\+?)轮)?(?:投资方|投资人)|(?:现有|原有|新)?投资者|股东)?"
)
_TRAILING_NOISE = re.compile(
    r"(?:等多家|等知名|等)?(?:机构|投资机构|投资方|投资人|旗下基金)?"
    r"(?:共同|联合|均|也|亦|继续|持续|再次|同时|分别|超额|大幅|积极|追加)*$"
)
# 杭州资本旗下杭州创新基金: the fund that invests, named after the group it belongs to
_OWNED_BY = re.compile(r"旗下(?:的)?|下属(?:的)?|管理的")
_BRACKET_TAIL = re.compile(r"[(\uff08][^()\uff08\uff09]*[)\uff09]$")
_NAME_SEPARATORS = re.compile(r"、|以及|/|[,\uff0c]")
_JOINERS = re.compile(r"(?<=.{2})(?:和|及|与)(?=.{2})")


def normalize_round(raw: str) -> str:
    raw = raw.strip()
    if raw.lower().startswith("pre"):
        rest = raw[3:].lstrip("-")
        return "Pre-IPO" if rest.upper() == "IPO" else f"Pre-{rest.upper()}"
    return raw.upper() if raw.isascii() else raw


def _round_of(m) -> str:
    if m["strategic"]:
        return "战略融资"
    if m["placement"]:
        return "定增"
    raw = m["round"]
    return "战略融资" if raw == "战略" else normalize_round(raw)


def extract_round(text: str) -> str:
    """The round, normalised; none when the text names two at once (种子轮及A轮)."""
    found = list(_ROUND.finditer(text))
    if not found:
        return ""
    m = found[0]
    for other in found[1:]:
        if other.start() - m.end() <= 3 and _round_of(other) != _round_of(m):
            return ""
    return _round_of(m)


def _split_names(part: str, offset: int) -> list[tuple[str, int]]:
    """``A、B和C`` → [(A, start), (B, start), (C, start)] (``和`` splits only between names)."""
    pieces: list[tuple[str, int]] = []
    pos = 0
    for m in _NAME_SEPARATORS.finditer(part):
        pieces.append((part[pos : m.start()], offset + pos))
        pos = m.end()
    pieces.append((part[pos:], offset + pos))
    out = []
    for piece, start in pieces:
        pos = 0
        for m in _JOINERS.finditer(piece):
            out.append((piece[pos : m.start()], start + pos))
            pos = m.end()
        out.append((piece[pos:], start + pos))
    return out


def _clean(name: str, start: int) -> tuple[str, int]:
    lead = _LEADING_NOISE.match(name)
    cut = lead.end() if lead else 0
    name, start = name[cut:], start + cut
    stripped = name.lstrip()
    start += len(name) - len(stripped)
    name = _TRAILING_NOISE.sub("", stripped).strip()
    name = _BRACKET_TAIL.sub("", name).strip()  # 淡马锡(Temasek): the name as written first
    return name, start


def _names_at(part: str, offset: int, *, owners: bool = False) -> list[tuple[str, int]]:
    """The names in ``part``; a fund named after its group (X旗下Y) is Y, and with
    ``owners`` X too (an entity of its own, not an investor of the round)."""
    names = []
    for raw, start in _split_names(part, offset):
        name, start = _clean(raw, start)
        if owned := _OWNED_BY.search(name):
            if owners and len(owned_by := name[: owned.start()]) >= 2:
                names.append((owned_by, start))
            name, start = name[owned.end() :], start + owned.end()
        if 2 <= len(name) <= 40 and not re.search(r"\d{4}年|融资|资金将|本轮", name):
            names.append((name, start))
    return names


def investor_spans(text: str) -> list[tuple[str, int]]:
    """Every investor a financing sentence names by its role: [(name, start)]."""
    leads, others, old = _investors(text, owners=True)
    return sorted({*leads, *others, *old}, key=lambda pair: pair[1])


def _investors(text: str, *, owners: bool = False):
    leads, others, old = [], [], []
    pos = 0
    for clause in _CLAUSES.split(text):
        start = pos
        pos += len(clause) + 1
        if re.search("领投|领衔|独家投资|全额认购|独家认购", clause):
            m = _LEAD.search(clause)
            if m:
                names = _names_at(m["names"], start + m.start("names"), owners=owners)
                leads.extend(names)
                if _OLD.search(clause[: m.start("names") + 6]):
                    old.extend(names)
            continue
        m = _FOLLOW.search(clause) if _FOLLOW_WORDS.search(clause) else None
        if m:
            names = _names_at(m["names"], start + m.start("names"), owners=owners)
            if _OLD.search(clause):
                old.extend(names)
            else:
                others.extend(names)
    return leads, others, old


def _unique(pairs) -> list[str]:
    out = []
    for name, _start in pairs:
        if name not in out:
            out.append(name)
    return out


def extract_investors(text: str) -> tuple[list[str], list[str]]:
    """(lead investors, other investors) from 由X领投 / Y跟投 / Z共同投资 clauses."""
    leads, others, old = _investors(text)
    lead_names = _unique(leads)
    other_names = [n for n in _unique(others + old) if n not in lead_names]
    return lead_names, other_names


def extract_old_investors(text: str) -> list[str]:
    """老股东W持续加码: the existing shareholders that invested again."""
    return _unique(_investors(text)[2])


_FINANCING_AMOUNT_CONTEXT = re.compile(r"融资|募资|募集|轮|投资|金额|规模|定增|发行")
_NOT_THIS_ROUND = re.compile(r"累计|估值|投后|投前|此前|上一轮|总计融资|市值|营收|收入")


def financing_amount(text: str, amounts: list[Amount]) -> Amount | None:
    """The amount of the round: in the clause that names the financing, not a valuation."""
    for amount in amounts:
        clause_start = max(text.rfind(c, 0, amount.start) for c in ",\uff0c;\uff1b。\n") + 1
        clause_end = min(
            [i for i in (text.find(c, amount.end) for c in ",\uff0c;\uff1b。\n") if i >= 0]
            or [len(text)]
        )
        clause = text[clause_start:clause_end]
        before = text[clause_start : amount.start]
        if _NOT_THIS_ROUND.search(before) or _NOT_THIS_ROUND.search(clause):
            continue
        if _FINANCING_AMOUNT_CONTEXT.search(clause):
            return amount
    return None


# ----------------------------------------------------------------------------- regulator

# The regulators are read from the shipped gazetteer files (type "regulator"): the fact holds
# the canonical gazetteer name, so it matches an entity page. Read once, lazily (pure: files
# shipped with the code, no database).
DATA_DIR = Path(__file__).resolve().parent / "data"
_CDE = "国家药品监督管理局药品审评中心"
_NMPA = "国家药品监督管理局"


@functools.cache
def _regulator_table() -> tuple[Gazetteer, tuple[str, ...]]:
    rows = []
    for path in [DATA_DIR / "gazetteer.json", *sorted((DATA_DIR / "gazetteer").glob("*.json"))]:
        rows += json.loads(path.read_text(encoding="utf-8"))
    canonical: list[str] = []
    names: list[tuple[str, int, bool]] = []
    for row in rows:
        if row.get("type") != "regulator":
            continue
        aliases = row.get("aliases") or {}
        flat = [a for v in aliases.values() for a in v] if isinstance(aliases, dict) else aliases
        flat = [a if isinstance(a, str) else a.get("alias", "") for a in flat]
        ambiguous = set(row.get("ambiguous") or ())
        n = len(canonical)
        canonical.append(row["name"])
        for name in (row["name"], row.get("name_en") or "", *flat):
            if name:
                names.append((name, n, name in ambiguous))
    return Gazetteer(names), tuple(canonical)


def extract_regulator(text: str, decision: str = "") -> str:
    """The canonical name of the regulator the item is about (the decision's maker)."""
    gazetteer, canonical = _regulator_table()
    names = []
    for mention in gazetteer.find(text):
        if len(mention.entity_ids) != 1 or mention.weak_ids:
            continue
        name = canonical[mention.entity_ids[0]]
        if name not in names:
            names.append(name)
    if not names:
        return ""
    # CDE reviews, 国家药监局 approves: an approval naming both is NMPA's, an acceptance,
    # priority review, breakthrough or IND naming both is CDE's.
    if _CDE in names and _NMPA in names:
        return _NMPA if decision in ("approval", "conditional_approval", "") else _CDE
    return names[0]


# ----------------------------------------------------------------------------- approvals

# First match wins: the more specific decision before the general one.
DECISIONS = [
    ("clinical_hold", r"临床(?:试验)?(?:被)?暂停|暂停(?:\S{0,6})?临床|clinical hold"),
    ("rejection", r"完整回复函|CRL|不予批准|拒绝批准|未获批准|否决"),
    ("conditional_approval", r"附条件批准|有条件批准|附条件上市|有条件上市"),
    ("breakthrough", r"突破性疗法|突破性治疗"),
    ("priority_review", r"优先审评|优先审查|Priority Review"),
    ("orphan", r"孤儿药"),
    ("fast_track", r"快速通道|Fast Track"),
    (
        "ind",
        r"临床试验申请(?:\S{0,8})?(?:获批|批准|默示许可|许可)|IND(?:申请)?(?:\S{0,6})?(?:获批|批准|许可)|"
        r"临床试验默示许可|获批(?:开展|进入)\S{0,12}临床|批准(?:\S{0,10})?开展\S{0,12}临床|"
        r"临床试验批准|同意\S{0,10}开展\S{0,10}临床",
    ),
    ("acceptance", r"受理|获接收|递交\S{0,10}(?:上市)?申请|提交\S{0,10}(?:上市)?申请"),
    ("approval", r"批准|获批|获准|核准|上市许可|注册证|approval|approved"),
]
_DECISIONS = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in DECISIONS]


_BACKGROUND = re.compile(r"^(?:此前|此外|此前已|该药此前|去年|早在|曾)")


def extract_decision(text: str) -> str:
    """The decision that is the news: the lead sentence's (its background clauses — 此前已获… —
    left out), else the first clause elsewhere that is not background."""
    lead = "".join(
        c for c in _CLAUSES.split(lead_sentence(text)) if not _BACKGROUND.match(c.strip())
    )
    sentences = [lead]
    sentences += [s for s in _CLAUSES.split(text) if s.strip() and not _BACKGROUND.match(s.strip())]
    for scope in sentences:
        for kind, pattern in _DECISIONS:
            if pattern.search(scope):
                return kind
    return ""


_DRUG = re.compile(
    rf"(?P<drug>[{chr(0x4E00)}-{chr(0x9FFF)}]{{2,12}}?(?:单抗|抗体|替尼|替尼片|司他|帕利|"
    r"[^\s,\uff0c。;\uff1b、]{0,2}(?:注射液|胶囊|片|颗粒|吸入剂|软膏|滴眼液|口服液|疫苗|混悬液))"
    r"|[A-Z][A-Z0-9]{1,6}-?[A-Z]?\d{2,6}[A-Z0-9]*)"
)
_DRUG_LEADING = re.compile(
    r"^.*?(?:宣布|旗下|自主研发的|研发的|开发的|公司的|的|其|款|用|与|及|和|产品|新药|药物|创新药|"
    r"生物类似药|注射用)"
)
_INDICATION = re.compile(
    r"用于(?:治疗)?(?P<ind>[^,\uff0c。;\uff1b()\uff08\uff09]{2,40}?)(?:患者)?(?:的治疗|的一线治疗|的二线治疗)?"
    r"(?=[,\uff0c。;\uff1b()\uff08\uff09]|$)|(?:适应症为|适应症是)(?P<ind2>[^,\uff0c。;\uff1b()\uff08\uff09]{2,40})"
)


def extract_drug(text: str) -> str:
    m = _DRUG.search(text)
    if not m:
        return ""
    drug = m["drug"]
    lead = _DRUG_LEADING.match(drug)
    if lead and len(drug) - lead.end() >= 2:
        drug = drug[lead.end() :]
    return drug


def extract_indication(text: str) -> str:
    m = _INDICATION.search(text)
    if not m:
        return ""
    return (m["ind"] or m["ind2"] or "").strip()


# ----------------------------------------------------------------------------- licensing, M&A

_UPFRONT = re.compile(r"首付款|预付款|upfront")
_MILESTONE = re.compile(r"里程碑")
_TOTAL = re.compile(r"总额|总金额|总交易额|总价值|总计|合计|潜在总|交易总")


_TERMS = re.compile(
    r"首付款|预付款|upfront|里程碑|总额|总金额|总交易额|总价值|总计|合计|潜在总|交易总"
)


def _amount_after(text: str, amounts: list[Amount], pattern: re.Pattern, window: int = 16):
    """The amount a term names: right before it (1亿美元首付款) or after it, with no other
    term in between (首付款1亿美元, 里程碑付款最高9亿美元)."""
    for m in pattern.finditer(text):
        for amount in amounts:
            if amount.end <= m.start() and text[amount.end : m.start()] in ("", "的"):
                return amount
        for amount in amounts:
            if m.end() <= amount.start <= m.end() + window:
                between = text[m.end() : amount.start]
                if not re.search(r"[。;\uff1b]", between) and not _TERMS.search(between):
                    return amount
    return None


def extract_licensing(text: str, amounts: list[Amount]) -> dict:
    terms = {}
    for key, pattern in (("upfront", _UPFRONT), ("milestones", _MILESTONE), ("total", _TOTAL)):
        amount = _amount_after(text, amounts, pattern)
        if amount is not None:
            terms[key] = amount
    return terms


_STAKE = re.compile(r"(?P<stake>\d+(?:\.\d+)?%)(?:的)?(?:股权|股份|权益)")
_ACQUIRE = re.compile(
    r"(?P<buyer>[^,\uff0c。;\uff1b]{2,30}?)(?:宣布|公告|拟|将|计划|同意|已)*(?:以(?P<p>[^,\uff0c。;\uff1b]{2,24}?))?"
    r"(?:收购|并购|买下|全资收购|控股)(?P<target>[^,\uff0c。;\uff1b]{2,40})"
)
_BUYER_NOISE = re.compile(r"^(?:近日|日前|今日|此前|据悉|消息称|另外|此外|同时)?")
_BUYER_TRAIL = re.compile(r"(?:宣布|公告称|公告|拟|将|计划|同意|已|正式|完成|达成协议)+$")
_TARGET_TRAIL = re.compile(
    r"(?:\d+(?:\.\d+)?%|全部|部分|的|旗下|股权|股份|100%|控股权|交易|事项|协议|公司|价格).*$"
)


def extract_ma(text: str, amounts: list[Amount]) -> dict:
    deal = {}
    m = _ACQUIRE.search(text)
    if m:
        buyer = _BUYER_TRAIL.sub("", _BUYER_NOISE.sub("", m["buyer"].strip())).strip()
        target = _TARGET_TRAIL.sub("", m["target"].strip()).strip()
        if 2 <= len(buyer) <= 20 and not re.search(r"[以对向为]", buyer[-1:]):
            deal["buyer"] = buyer
        if 2 <= len(target) <= 30:
            deal["target"] = target
    price = _amount_after(
        text, amounts, re.compile(r"对价|作价|收购价|交易金额|交易对价|总价|以|价格"), window=8
    )
    if price is not None:
        deal["price"] = price
    stake = _STAKE.search(text)
    if stake:
        deal["stake"] = stake["stake"]
    return deal


# ----------------------------------------------------------------------------- event kind

# First rule that matches wins: the order settles items that read as two kinds
# (a partnership whose product "已获准上市" is a partnership; a financing names investors).
EVENT_RULES = [
    (
        EventKind.IPO,
        r"递交(?:了)?(?:\S{0,4})?上市申请|招股|(?<!Pre-)(?<!Pre)IPO|赴港上市|公开上市|首次公开发行|"
        r"首次公开募股|挂牌上市|(?:港交所|上交所|深交所|北交所|纳斯达克|纽交所|科创板|创业板|主板)"
        r"\S{0,6}上市|登陆(?:港交所|科创板|创业板|纳斯达克|北交所)|聆讯|上市首日|发行价|股票代码",
    ),
    (
        EventKind.FINANCING,
        r"融资|领投|跟投|天使轮|种子轮|募资|定增|定向增发|向特定对象发行|非公开发行",
    ),
    (EventKind.MA, r"收购|并购|出售[^。]{0,30}股权|股权转让|转让[^。]{0,30}股权|控股权|要约"),
    (
        EventKind.PERSONNEL,
        r"任命|辞去|辞职|离职|卸任|接任|出任|聘任|履新|退休|接替|转任|加入\S{0,6}担任",
    ),
    (
        EventKind.PARTNERSHIP,
        r"合作|携手|联手|授权引进|许可协议|备忘录|签署[^。]{0,20}协议|首付款|里程碑|独家许可|"
        r"授权[^。]{0,10}权益|对外授权|license",
    ),
    (
        EventKind.POLICY,
        r"印发|(?:发布|出台|公布)(?:了)?《|《[^》]{0,40}(?:办法|规定|通知|意见|指南|指导原则|方案|规划|"
        r"计划|条例|目录|规范|细则|措施)》|等[一二三四五六七八九十\d]{1,2}部门|试点|征求意见稿|集采|"
        r"医保目录",
    ),
    (
        EventKind.APPROVAL,
        r"批准|获批|获准|上市许可|受理|优先审评|突破性疗法|突破性治疗|孤儿药资格|认定|注册证|"
        r"默示许可|快速通道|完整回复函|临床暂停",
    ),
    (EventKind.EARNINGS, r"业绩|营业收入|营收|净利润|财报|年报|季报|中报|销售额|归母"),
    (EventKind.POLICY, r"指导原则|政策|药品目录|指南|管理办法|规定|通知"),
    (
        EventKind.CLINICAL,
        r"临床|I{1,3}期|[123]期|主要终点|入组|首例|头对头|试验|研究(?:中的)?(?:结果|数据)|结果显示",
    ),
]
_EVENT_RULES = [(kind, re.compile(pattern)) for kind, pattern in EVENT_RULES]


_SENTENCE_END = re.compile(r"[。!\uff01?\uff1f;\uff1b\n]")


def lead_sentence(text: str) -> str:
    """The first sentence: a 日报 item says what happened there, background follows."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def extract_event_kind(text: str) -> str:
    for scope in (lead_sentence(text), text):
        for kind, pattern in _EVENT_RULES:
            if pattern.search(scope):
                return kind
    return ""


# ----------------------------------------------------------------------------- facts


@dataclass
class Facts:
    event_kind: str = ""
    financing_round: str = ""
    amounts: list[Amount] = field(default_factory=list)
    amount: Amount | None = None
    lead_investors: list[str] = field(default_factory=list)
    investors: list[str] = field(default_factory=list)
    old_investors: list[str] = field(default_factory=list)
    regulator: str = ""
    decision: str = ""
    drug: str = ""
    indication: str = ""
    licensing: dict = field(default_factory=dict)
    ma: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        """What goes into ``Item.facts`` (empty entries left out)."""
        data = {
            "amounts": [a.as_json() for a in self.amounts],
            "amount": self.amount.as_json() if self.amount else None,
            "lead_investors": self.lead_investors,
            "investors": self.investors,
            "old_investors": self.old_investors,
            "regulator": self.regulator,
            "decision": self.decision,
            "drug": self.drug,
            "indication": self.indication,
            "licensing": {k: a.as_json() for k, a in self.licensing.items()},
            "ma": {k: (v.as_json() if isinstance(v, Amount) else v) for k, v in self.ma.items()},
        }
        return {key: value for key, value in data.items() if value}


def extract(text: str) -> Facts:
    text = text or ""
    kind = extract_event_kind(text)
    amounts = extract_amounts(text)
    facts = Facts(event_kind=kind, amounts=amounts)
    if kind == EventKind.FINANCING:
        facts.financing_round = extract_round(text)
        facts.lead_investors, facts.investors = extract_investors(text)
        facts.old_investors = extract_old_investors(text)
        facts.amount = financing_amount(text, amounts)
    elif kind == EventKind.PARTNERSHIP:
        facts.licensing = extract_licensing(text, amounts)
        facts.amount = facts.licensing.get("total")
    elif kind == EventKind.MA:
        facts.ma = extract_ma(text, amounts)
        facts.amount = facts.ma.get("price")
    if kind in (EventKind.APPROVAL, EventKind.CLINICAL):
        facts.decision = extract_decision(text) if kind == EventKind.APPROVAL else ""
        facts.drug = extract_drug(text)
        facts.indication = extract_indication(text)
    facts.regulator = extract_regulator(text, facts.decision)
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
