"""The benchmark archive generator: a deterministic archive of published issues.

Same seed and sizes, same text, entities and links (ids may differ between databases).
It is a data generator, not an editorial action: it writes published rows in bulk and
bypasses the workflow (no review, no history). ``manage.py generate_archive`` is its thin
command; ``_archive.py`` and the search oracle test call ``generate_archive`` directly.
"""

from __future__ import annotations

import datetime as dt
import random
from itertools import accumulate

from django.db import connections, transaction
from django.utils import timezone
from tqdm import tqdm

from .. import facts as extraction
from .. import readmodels, trackers
from ..models import (
    AliasKind,
    Bulletin,
    BulletinStatus,
    Entity,
    EntityAlias,
    EntityType,
    EventKind,
    Item,
    ItemEntity,
    ItemStatus,
    LinkSource,
    Section,
)
from ..search import index_items

# Characters that make plausible Chinese company brands (恒瑞, 康华, 百济 …).
BRAND_CHARS = (
    "恒瑞康华润泰科信达君实百济复星石药齐鲁先声翰森豪森海正天士力贝因美迈瑞联影健凯诺和亚盛"
    "和黄再鼎信立微创启明博睿中慧沃森艾力荣昌普利春禾新桥舜景昭衍佰特普译金斯瑞诺思格宜明"
    "百奥赛图云顶开拓乐普鱼跃安科万泰智飞康希康方基石嘉和友芝德琪科伦博腾凯莱英药明"
)
COMPANY_SUFFIXES = ["医药", "生物", "制药", "药业", "医疗", "生物科技", "基因", "生命科学"]
DRUG_STEMS = ["替尼", "单抗", "司他", "帕利", "格列汀", "沙坦", "韦", "昔布", "珠单抗", "肽"]
DRUG_FORMS = ["", "片", "注射液", "胶囊", "缓释片"]
INVESTOR_SUFFIXES = ["资本", "创投", "投资", "基金"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华慧建国志红"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "苏州", "成都", "武汉", "南京", "天津"]
REGULATORS = [
    ("国家药监局", "National Medical Products Administration", ["NMPA", "国家药品监督管理局"]),
    ("美国食品药品监督管理局", "U.S. Food and Drug Administration", ["FDA"]),
    ("欧洲药品管理局", "European Medicines Agency", ["EMA"]),
    ("药品审评中心", "Center for Drug Evaluation", ["CDE"]),
    ("英国药品和保健品管理局", "Medicines and Healthcare products Regulatory Agency", ["MHRA"]),
    ("国家医保局", "National Healthcare Security Administration", ["NHSA"]),
    ("日本厚生劳动省", "Ministry of Health, Labour and Welfare", ["MHLW"]),
]
GLOBAL_COMPANIES = [
    ("罗氏", "Roche", ["Roche"]),
    ("辉瑞", "Pfizer", ["Pfizer"]),
    ("诺华", "Novartis", ["Novartis"]),
    ("阿斯利康", "AstraZeneca", ["AZ"]),
    ("葛兰素史克", "GSK plc", ["GSK", "葛兰素史"]),
    ("默沙东", "MSD", ["MSD", "默克"]),
    ("礼来", "Eli Lilly", ["Lilly"]),
    ("赛诺菲", "Sanofi", ["Sanofi"]),
    ("英伟达", "NVIDIA", ["NVIDIA"]),
    ("百时美施贵宝", "Bristol Myers Squibb", ["BMS"]),
]
FIXED_DRUGS = [
    ("瑞普妥肽注射液", ["HRS9531"]),
    ("度拉司他片", ["GLP-1RA", "DLS-101"]),
    ("恩沃利单抗", ["PD-L1单抗", "KN035"]),
]
DISEASES = [
    "非小细胞肺癌", "乳腺癌", "胃癌", "肝细胞癌", "结直肠癌", "弥漫大B细胞淋巴瘤", "多发性骨髓瘤",
    "2型糖尿病", "肥胖症", "阿尔茨海默病", "帕金森病", "类风湿关节炎", "银屑病", "特应性皮炎",
    "系统性红斑狼疮", "慢性肾病", "肾性贫血", "非酒精性脂肪性肝炎", "高血压", "心力衰竭",
    "呼吸道合胞病毒感染", "流感", "乙型肝炎", "白癜风", "哮喘", "慢性阻塞性肺疾病",
]  # fmt: skip
FIELDS = [
    "创新药研发", "AI制药", "细胞与基因治疗", "ADC", "mRNA疫苗", "GLP-1类药物", "PD-L1抑制剂",
    "CAR-T疗法", "脑机接口", "医学影像", "合成生物学", "核药", "原料药", "中药现代化",
]  # fmt: skip
ROUNDS = ["天使", "Pre-A", "A", "A+", "B", "B+", "C", "D", "Pre-IPO"]
POLICIES = [
    "药品注册管理办法", "医疗器械监督管理条例", "创新药临床试验审评审批优化方案",
    "药品网络销售监督管理办法", "医保药品目录调整工作方案", "生物类似药相似性评价指导原则",
]  # fmt: skip

TEMPLATES = {
    EventKind.FINANCING: [
        "{company}宣布完成{amount}{round}轮融资,由{investor}领投,{investor2}跟投。本轮融资将"
        "主要用于{field}管线的临床推进及生产基地建设。",
        "{company}正式宣布完成{amount}{round}轮融资。本轮融资由{investor}领投,老股东"
        "{investor2}持续加码,资金将用于{disease}领域的产品研发。",
    ],
    EventKind.APPROVAL: [
        "{company}自主研发的1类创新药{drug}获{regulator}批准上市,用于治疗{disease}成人患者。",
        "{regulator}已批准{company}的{drug}({code})新增适应症,适用于{disease}患者,这是该药品"
        "在中国获批的第二个适应症。",
    ],
    EventKind.PARTNERSHIP: [
        "{company}与{company2}签署战略合作协议,双方将围绕{field}领域开展联合技术攻关,共同推进"
        "从早期发现到商业化生产的全链条合作。",
        "{company}宣布与{company2}达成授权合作,获得{drug}在大中华区的开发和商业化权益,首付款"
        "{amount_usd},潜在里程碑付款总额最高可达{amount_usd2}。",
    ],
    EventKind.PERSONNEL: [
        "{company}宣布,{person}辞去首席财务官职务,董事会任命{person2}为临时首席财务官。",
        "{company}公告,任命{person}为公司首席执行官,全面负责{field}业务的战略与运营。",
    ],
    EventKind.IPO: [
        "{company}已向香港联交所递交上市申请,有望借此筹集约{amount_usd}资金,募资将主要用于"
        "{field}平台建设。",
        "{company}在上海证券交易所科创板挂牌上市,首日收盘市值约{amount}。",
    ],
    EventKind.EARNINGS: [
        "{company}公布截至{year}年12月31日止的全年业绩,收入约{amount_usd},同比增长{pct}%。"
        "经调整净利润约{amount_usd2},同比增长{pct2}%。",
        "{company}发布{year}年业绩快报,实现营业收入{amount},研发投入约{amount2},占收入比例{pct}%。",
    ],
    EventKind.CLINICAL: [
        "{company}宣布,其{drug}({code})治疗{disease}的III期临床试验达到主要终点,公司计划于"
        "年内向{regulator}递交上市申请。",
        "{regulator}已批准{company}的{code}开展治疗{disease}的临床试验,该药物是一种口服选择性"
        "抑制剂。",
    ],
    EventKind.POLICY: [
        "{regulator}发布《{policy}》,进一步明确{field}相关产品的审评标准,自{year}年起施行。",
        "{regulator}就《{policy}》公开征求意见,涉及{field}、{field2}等领域的监管要求。",
    ],
}
HEADLINES = {
    EventKind.FINANCING: "{company}完成{round}轮融资",
    EventKind.APPROVAL: "{drug}获批上市",
    EventKind.PARTNERSHIP: "{company}携手{company2}",
    EventKind.PERSONNEL: "{company}人事变动",
    EventKind.IPO: "{company}递交上市申请",
    EventKind.EARNINGS: "{company}业绩增长{pct}%",
    EventKind.CLINICAL: "{code}三期临床达到主要终点",
    EventKind.POLICY: "{regulator}发布新规",
}
KIND_WEIGHTS = {
    EventKind.FINANCING: 4,
    EventKind.APPROVAL: 3,
    EventKind.PARTNERSHIP: 3,
    EventKind.PERSONNEL: 1,
    EventKind.IPO: 1,
    EventKind.EARNINGS: 2,
    EventKind.CLINICAL: 3,
    EventKind.POLICY: 1,
}
# Share of generated entities per type (the rest of --entities after the fixed lists).
TYPE_SHARES = [
    (EntityType.COMPANY, 0.55),
    (EntityType.DRUG, 0.2),
    (EntityType.INVESTOR, 0.1),
    (EntityType.PERSON, 0.1),
    (EntityType.INSTITUTION, 0.05),
]


def _first_amount(text: str) -> dict | None:
    found = extraction.extract_amounts(text)
    return found[0].as_json() if found else None


def item_facts(template: str, values: dict, body: str) -> dict:
    """Facts as the extraction stores them (/work/notes/FACTS_SCHEMA.md): a key only where
    the text states it — 数千万元 has no number, so such a financing has no ``amount``."""
    facts: dict = {}
    amounts = [a.as_json() for a in extraction.extract_amounts(body)]
    if amounts:
        facts["amounts"] = amounts
    if "{round}" in template:
        amount = _first_amount(values["amount"])
        if amount:
            facts["amount"] = amount
        facts["lead_investors"] = [values["investor"]]
        key = "old_investors" if "老股东" in template else "investors"
        facts[key] = [values["investor2"]]
    if "首付款" in template:
        upfront, total = _first_amount(values["amount_usd"]), _first_amount(values["amount_usd2"])
        facts["licensing"] = {k: v for k, v in (("upfront", upfront), ("total", total)) if v}
        if total:
            facts["amount"] = total
    if "{regulator}" in template:
        regulator = extraction.extract_regulator(body)
        if regulator:
            facts["regulator"] = regulator
    if "批准上市" in template or "新增适应症" in template:
        facts.update(decision="approval", drug=values["drug"], indication=values["disease"])
    elif "批准" in template and "临床试验" in template:
        facts.update(decision="ind", drug=values["code"], indication=values["disease"])
    return facts


class Archive:
    """The generator: entities first, then one published issue per day."""

    def __init__(self, *, seed: int, entity_count: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.entity_count = entity_count
        self.by_type: dict[str, list[Entity]] = {}
        self.cum_weights: dict[str, list[float]] = {}
        self.codes: dict[int, str] = {}
        self.latin: dict[int, str] = {}  # entity pk -> an abbreviation or English alias

    # --------------------------------------------------------------------- entities

    def _brand(self) -> str:
        return "".join(self.rng.sample(BRAND_CHARS, 2))

    def _latin(self, text: str) -> str:
        from pypinyin import lazy_pinyin

        return "".join(lazy_pinyin(text)).capitalize()

    def plan_entities(self) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
        """(type, name, name_en, [(alias, kind)]) for every entity, deterministic."""
        rng = self.rng
        planned = []
        for name, name_en, aliases in REGULATORS:
            planned.append(
                (
                    EntityType.REGULATOR,
                    name,
                    name_en,
                    [(a, AliasKind.ABBREVIATION) for a in aliases],
                )
            )
        for name, name_en, aliases in GLOBAL_COMPANIES:
            planned.append(
                (EntityType.COMPANY, name, name_en, [(a, AliasKind.ENGLISH) for a in aliases])
            )
        for name, aliases in FIXED_DRUGS:
            planned.append((EntityType.DRUG, name, "", [(a, AliasKind.CODE) for a in aliases]))
        for disease in DISEASES:
            planned.append((EntityType.DISEASE, disease, "", []))
        remaining = max(0, self.entity_count - len(planned))
        seen = {(kind, name) for kind, name, _en, _aliases in planned}
        for kind, share in TYPE_SHARES:
            want, made, attempts = round(remaining * share), 0, 0
            while made < want and attempts < want * 50:
                attempts += 1
                brand = self._brand()
                aliases: list[tuple[str, str]] = []
                name_en = ""
                if kind == EntityType.COMPANY:
                    name = brand + rng.choice(COMPANY_SUFFIXES)
                    name_en = f"{self._latin(brand)} {rng.choice(['Pharma', 'Bio', 'Medical'])}"
                    aliases = [(brand, AliasKind.CHINESE)] if rng.random() < 0.3 else []
                elif kind == EntityType.DRUG:
                    name = brand + rng.choice(DRUG_STEMS) + rng.choice(DRUG_FORMS)
                    code = "".join(rng.choices("ABCDEFGHJKLMNPRSTVXYZ", k=rng.choice([2, 3])))
                    aliases = [(f"{code}{rng.randint(100, 9999)}", AliasKind.CODE)]
                elif kind == EntityType.INVESTOR:
                    name = brand + rng.choice(INVESTOR_SUFFIXES)
                    name_en = f"{self._latin(brand)} Capital"
                elif kind == EntityType.PERSON:
                    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN_CHARS, k=2))
                else:
                    name = f"{rng.choice(CITIES)}{brand}医院"
                if (kind, name) in seen:
                    continue
                seen.add((kind, name))
                planned.append((kind, name, name_en, aliases))
                made += 1
        return planned

    def create_entities(self) -> None:
        """Create the planned entities (reusing live ones of the same type and name)."""
        planned = self.plan_entities()
        pks = {
            (kind, name): pk
            for kind, name, pk in Entity.objects.live().values_list("type", "name", "pk")
        }
        slugs = set(Entity.objects.filter(slug__startswith="gen").values_list("slug", flat=True))
        fresh, fresh_aliases = [], []
        for n, (kind, name, name_en, aliases) in enumerate(planned):
            if (kind, name) in pks:
                continue
            slug = f"gen{self.seed}-{kind}-{n}"
            while slug in slugs:
                slug += "x"
            slugs.add(slug)
            fresh.append(Entity(type=kind, name=name, name_en=name_en, slug=slug))
            fresh_aliases.append(aliases)
        Entity.objects.bulk_create(fresh, batch_size=500)
        alias_rows = []
        for entity, aliases in zip(fresh, fresh_aliases, strict=True):
            pks[(entity.type, entity.name)] = entity.pk
            alias_rows += [EntityAlias(entity=entity, alias=a, kind=k) for a, k in aliases]
        EntityAlias.objects.bulk_create(alias_rows, batch_size=500, ignore_conflicts=True)
        for kind, name, _name_en, aliases in planned:
            entity = Entity(pk=pks[(kind, name)], type=kind, name=name)
            self.by_type.setdefault(kind, []).append(entity)
            codes = [alias for alias, alias_kind in aliases if alias_kind == AliasKind.CODE]
            if codes:
                self.codes[entity.pk] = codes[0]
            latin = [a for a, k in aliases if k in (AliasKind.ABBREVIATION, AliasKind.ENGLISH)]
            if latin:
                self.latin[entity.pk] = latin[0]
        for kind, members in self.by_type.items():
            # Zipf-like popularity: a few names (罗氏, 国家药监局) appear very often.
            self.cum_weights[kind] = list(
                accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(members)))
            )

    def mention(self, entity: Entity) -> str:
        """The name as items print it: now and then with its Latin name, 罗氏(Roche)."""
        latin = self.latin.get(entity.pk)
        if latin and self.rng.random() < 0.3:
            return f"{entity.name}({latin})"
        return entity.name

    def pick(self, kind: str) -> Entity:
        members = self.by_type.get(kind) or self.by_type[EntityType.COMPANY]
        weights = self.cum_weights.get(kind) or self.cum_weights[EntityType.COMPANY]
        return self.rng.choices(members, cum_weights=weights)[0]

    # --------------------------------------------------------------------- items

    def amount(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"{rng.randint(1, 30)}.{rng.randint(0, 9)}亿元人民币",
                f"近{rng.choice(['亿', '5000万', '3亿'])}元人民币",
                f"数{rng.choice(['千万', '亿'])}元人民币",
                f"{rng.randint(2, 9)}000万元人民币",
            ]
        )

    def amount_usd(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"约{rng.randint(10, 999)}.{rng.randint(0, 9)}百万美元",
                f"{rng.randint(1, 90)}.{rng.randint(10, 99)}亿美元",
                f"{rng.randint(1, 9)}亿美元",
            ]
        )

    def item(self, day: dt.date) -> tuple[str, str, str, str, list[Entity]]:
        """(event kind, body, headline, round, linked entities) of one item."""
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        company, company2 = self.pick(EntityType.COMPANY), self.pick(EntityType.COMPANY)
        while company2.pk == company.pk and len(self.by_type[EntityType.COMPANY]) > 1:
            company2 = self.pick(EntityType.COMPANY)
        drug = self.pick(EntityType.DRUG)
        investor, investor2 = self.pick(EntityType.INVESTOR), self.pick(EntityType.INVESTOR)
        regulator = self.pick(EntityType.REGULATOR)
        disease = self.pick(EntityType.DISEASE)
        person, person2 = self.pick(EntityType.PERSON), self.pick(EntityType.PERSON)
        fields = rng.sample(FIELDS, 2)
        values = {
            "company": self.mention(company),
            "company2": company2.name,
            "drug": drug.name,
            "code": self.codes.get(drug.pk, "HRS9531"),
            "investor": investor.name,
            "investor2": investor2.name,
            "regulator": self.mention(regulator),
            "disease": disease.name,
            "person": person.name,
            "person2": person2.name,
            "field": fields[0],
            "field2": fields[1],
            "policy": rng.choice(POLICIES),
            "round": rng.choice(ROUNDS),
            "amount": self.amount(),
            "amount2": self.amount(),
            "amount_usd": self.amount_usd(),
            "amount_usd2": self.amount_usd(),
            "pct": f"{rng.randint(1, 99)}.{rng.randint(0, 9)}",
            "pct2": f"{rng.randint(1, 300)}.{rng.randint(0, 9)}",
            "year": str(day.year - 1),
        }
        template = rng.choice(TEMPLATES[kind])
        body = template.format(**values)
        mentioned = [
            entity
            for key, entity in [
                ("{company}", company),
                ("{company2}", company2),
                ("{drug}", drug),
                ("{investor}", investor),
                ("{investor2}", investor2),
                ("{regulator}", regulator),
                ("{disease}", disease),
                ("{person}", person),
                ("{person2}", person2),
            ]
            if key in template
        ]
        headline = HEADLINES[kind].format(**values)[:120]
        financing_round = values["round"] if kind == EventKind.FINANCING else ""
        return kind, body, headline, financing_round, mentioned, item_facts(template, values, body)


def generate_archive(
    *,
    days: int,
    items_per_day: int,
    entities: int,
    seed: int,
    end: dt.date = dt.date(2026, 3, 16),
    progress: bool = False,
    chunk_days: int = 40,
) -> dict[str, int]:
    archive = Archive(seed=seed, entity_count=entities)
    with transaction.atomic():
        archive.create_entities()
    sections = [
        Section.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})[0]
        for name, slug, position in [
            ("企业动态", "company-news", 1),
            ("产业动态", "industry-news", 2),
        ]
    ]
    first = end - dt.timedelta(days=days - 1)
    taken = set(
        Bulletin.objects.filter(issued_on__range=(first, end)).values_list("issued_on", flat=True)
    )
    all_days = [first + dt.timedelta(days=n) for n in range(days)]
    counts = {"bulletins": 0, "items": 0, "entities": entities, "skipped": len(taken)}
    bar = tqdm(total=days * items_per_day, unit="item", disable=not progress)
    for start in range(0, len(all_days), chunk_days):
        chunk = all_days[start : start + chunk_days]
        with transaction.atomic():
            _write_days(archive, chunk, taken, sections, items_per_day, counts)
        bar.update(len(chunk) * items_per_day)
    bar.close()
    # Fresh planner statistics, as a production database has them: without them SQLite
    # guesses that the (status, bulletin) index is selective and sorts every item for a page,
    # and PostgreSQL plans the rebuild's joins over 255,000 links as if the tables were empty
    # (one chunk of 500 entities ran for over eight minutes).
    with connections[Item.objects.db].cursor() as cursor:
        cursor.execute("ANALYZE")
    # The rows above bypass the workflow, so its read-model hook never ran: rebuild them.
    readmodels.rebuild()
    with connections[Item.objects.db].cursor() as cursor:
        cursor.execute("ANALYZE")  # the read models' own statistics
    return counts


def _write_days(archive, chunk, taken, sections, items_per_day, counts) -> None:
    bulletins = []
    for day in chunk:
        publish_at = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
        bulletins.append(
            Bulletin(issued_on=day, status=BulletinStatus.PUBLISHED, publish_at=publish_at)
        )
    plans = [[archive.item(day) for _n in range(items_per_day)] for day in chunk]
    keep = [(b, p) for b, p in zip(bulletins, plans, strict=True) if b.issued_on not in taken]
    if not keep:
        return
    saved = Bulletin.objects.bulk_create([b for b, _p in keep])
    items, links = [], []
    for bulletin, planned in zip(saved, [p for _b, p in keep], strict=True):
        split = max(1, round(len(planned) * 0.6))  # company news first, then industry news
        for n, (kind, body, headline, financing_round, _mentioned, facts) in enumerate(planned):
            section = sections[0] if n < split else sections[1]
            has_headline = n < 3
            items.append(
                Item(
                    bulletin=bulletin,
                    section=section,
                    position=n + 1 if n < split else n - split + 1,
                    body=body,
                    headline=headline if has_headline else "",
                    headline_rank=n + 1 if has_headline else None,
                    status=ItemStatus.APPROVED,
                    event_kind=kind,
                    financing_round=financing_round,
                    facts=facts,
                )
            )
    items = Item.objects.bulk_create(items, batch_size=500)
    mentioned = [m for _b, planned in keep for *_rest, m, _facts in planned]
    for item, entities in zip(items, mentioned, strict=True):
        for entity in {e.pk: e for e in entities}.values():
            links.append(ItemEntity(item=item, entity_id=entity.pk, source=LinkSource.LINKER))
    ItemEntity.objects.bulk_create(links, batch_size=500)
    index_items([item.pk for item in items])
    trackers.index_items([item.pk for item in items])
    counts["bulletins"] += len(saved)
    counts["items"] += len(items)
