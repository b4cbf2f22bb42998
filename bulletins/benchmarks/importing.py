"""Import/export speed: parse + export of a 30-item issue (target < 20 ms), and the rate of
importing a folder of a year of issues through ``import_bulletin``.

Everything is written inside one transaction that is rolled back: the database is left as
it was. The issues are generated (made-up companies and facts), never copied from samples.
"""

import datetime as dt
import random
import statistics
import tempfile
import time
from io import StringIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction

from ..exporters.text import export_text
from ..importers.parser import parse_issue
from ..importers.service import import_issue, plan_import
from ..roles import EDITOR

SYLLABLES = "康华瑞恒信达泰明安诺百济君实和睿博生源科复星海正天士力迈普药石先声"
TEMPLATES = [
    (
        "{c}宣布完成{n}亿元人民币{r}轮融资,本轮融资由{i}领投,资金将用于{p}的临床开发。",
        "{c}完成{n}亿元{r}轮融资",
    ),
    (
        "{c}与{c2}签署战略合作协议,双方将围绕{p}开展联合研发,合作总金额约{n}亿美元。",
        "{c}与{c2}达成{p}合作",
    ),
    ("国家药监局批准{c}的{p}上市申请,用于治疗成人{d}患者。", "{c}{p}获批上市"),
    (
        "{c}公布{p}的III期临床研究结果,主要终点达到统计学显著改善,{d}患者获益明显。",
        "{c}{p}III期临床成功",
    ),
    ("{c}发布年度业绩,营业收入{n}亿元,同比增长{m}%,研发投入持续增加。", "{c}营收增长{m}%"),
]
DISEASES = ["非小细胞肺癌", "2型糖尿病", "类风湿关节炎", "慢性心力衰竭", "阿尔茨海默病"]
ROUNDS = ["A", "B", "C", "Pre-A", "B+"]


def _name(rng: random.Random) -> str:
    return "".join(rng.sample(SYLLABLES, 2)) + rng.choice(["生物", "医药", "制药", "医疗"])


def generate_issue(day: dt.date, *, items: int = 30, seed: int = 0) -> str:
    """A plausible issue: two sections, ``items`` items, three headlines for items 1, 2, 4."""
    rng = random.Random(seed)
    bodies, headlines = [], []
    for _n in range(items):
        body, headline = rng.choice(TEMPLATES)
        values = {
            "c": _name(rng),
            "c2": _name(rng),
            "i": _name(rng) + "资本",
            "p": f"{rng.choice('ABCDHKMXZ')}{rng.randint(100, 999)}",
            "d": rng.choice(DISEASES),
            "n": rng.randint(1, 90),
            "m": rng.randint(2, 60),
            "r": rng.choice(ROUNDS),
        }
        bodies.append(body.format(**values))
        headlines.append(headline.format(**values))
    half = items // 2
    title = ";".join(headlines[i] for i in (0, 1, 3) if i < items)
    lines = [
        f"{title} | 日报",
        f"(医药健闻{day.year}年{day.month}月{day.day}日讯)",
        "",
        "企业动态",
        *bodies[:half],
        "产业动态",
        *bodies[half:],
    ]
    return "\n".join(lines)


def _median_ms(function, repeat: int) -> float:
    timings = []
    for _n in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(*, out, quick: bool) -> dict[str, str]:
    days = 30 if quick else 365
    repeat = 20 if quick else 200
    figures = {}
    with transaction.atomic():
        user = get_user_model().objects.create(username="bench-importer", is_staff=True)
        user.groups.add(Group.objects.get(name=EDITOR))
        text = generate_issue(dt.date(1999, 1, 1), items=30)
        bulletin = import_issue(text, by=user).bulletin
        assert export_text(bulletin) == text, "the generated issue does not round-trip"

        parse_ms = _median_ms(lambda: parse_issue(text), repeat)
        export_ms = _median_ms(lambda: export_text(bulletin), repeat)
        plan_ms = _median_ms(lambda: plan_import(text), max(repeat // 10, 5))
        total = parse_ms + export_ms
        figures["parse 30 items (median)"] = f"{parse_ms:.2f} ms"
        figures["export_text 30 items from the database (median)"] = f"{export_ms:.2f} ms"
        figures["parse + export"] = (
            f"{total:.2f} ms ({'within' if total < 20 else 'OVER'} the 20 ms target)"
        )
        figures["preview = parse + linker + headline matching (median)"] = f"{plan_ms:.2f} ms"

        with tempfile.TemporaryDirectory() as folder:
            start = dt.date(2000, 1, 1)
            for n in range(days):
                day = start + dt.timedelta(days=n)
                Path(folder, f"{day}.txt").write_text(
                    generate_issue(day, items=30, seed=n), encoding="utf-8"
                )
            out.write(f"  importing {days} generated issues of 30 items …")
            started = time.perf_counter()
            call_command(
                "import_bulletin", folder, "--by", user.username, "--no-progress", stdout=StringIO()
            )
            elapsed = time.perf_counter() - started
        figures[f"import_bulletin of {days} issues"] = (
            f"{elapsed:.1f} s: {days / elapsed:.1f} issues/s, {days * 30 / elapsed:.0f} items/s"
        )
        transaction.set_rollback(True)
    return figures
