"""Share images (1200×630 PNG, Open Graph / Twitter / WeChat) per issue and per item.

Drawn with Pillow in Noto Sans CJK from Debian's fonts-noto-cjk. An image is stored in the
default storage under ``share/<kind>/<id>/<digest>.png``: the digest covers everything drawn,
so a corrected text gets a new image on its next request and the old one is removed; an
unchanged text is served from storage, never drawn twice. Only published issues and items
have images (the views ask ``published()`` first).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

WIDTH, HEIGHT = 1200, 630
DESIGN_VERSION = "1"  # bump when the drawing changes: every image is drawn again
FONT_DIR = Path(getattr(settings, "NEWSROOM_CJK_FONT_DIR", "/usr/share/fonts/opentype/noto"))
FONT_INDEX_SC = 2  # Noto Sans CJK SC inside the .ttc collection
ACCENT = (10, 88, 168)
INK = (26, 28, 30)
MUTED = (91, 97, 104)
PAPER = (255, 255, 255)
PANEL = (231, 240, 250)


class FontMissing(RuntimeError):
    pass


def _font(weight: str, size: int):
    from PIL import ImageFont

    path = FONT_DIR / f"NotoSansCJK-{weight}.ttc"
    if not path.exists():
        raise FontMissing(f"{path} is missing: apt-get install fonts-noto-cjk")
    return ImageFont.truetype(str(path), size, index=FONT_INDEX_SC)


def digest(*parts: str) -> str:
    text = "\x1f".join([DESIGN_VERSION, *parts])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``; CJK breaks anywhere, Latin words stay whole
    where they fit; an overlong last line ends with an ellipsis."""
    lines, line = [], ""
    for char in text:
        if char == "\n":
            lines.append(line)
            line = ""
            continue
        if draw.textlength(line + char, font=font) <= width:
            line += char
            continue
        # Move a Latin word that would be cut to the next line, if it is not the whole line.
        cut = len(line)
        while cut > 0 and line[cut - 1].isascii() and line[cut - 1].isalnum() and char.isalnum():
            cut -= 1
        if 0 < cut < len(line):
            lines.append(line[:cut])
            line = line[cut:] + char
        else:
            lines.append(line)
            line = char.lstrip()
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def render(*, brand: str, kicker: str, title: str, chips: list[str], footer: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, HEIGHT), fill=ACCENT)
    margin = 80
    draw.text((margin, 56), brand, font=_font("Bold", 40), fill=ACCENT)
    draw.text((margin, 116), kicker, font=_font("Regular", 30), fill=MUTED)
    x = margin
    chip_font = _font("Bold", 28)
    for chip in chips[:5]:
        w = draw.textlength(chip, font=chip_font)
        if x + w + 32 > WIDTH - margin:
            break
        draw.rounded_rectangle((x, 172, x + w + 32, 220), radius=10, fill=PANEL)
        draw.text((x + 16, 178), chip, font=chip_font, fill=ACCENT)
        x += w + 48
    title_font = _font("Bold", 54)
    y = 250 if chips else 190
    for line in _wrap(draw, title, title_font, WIDTH - 2 * margin, 5 if not chips else 4):
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += 72
    draw.line((margin, HEIGHT - 84, WIDTH - margin, HEIGHT - 84), fill=(226, 229, 233), width=2)
    draw.text((margin, HEIGHT - 66), footer, font=_font("Regular", 26), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def stored_image(kind: str, key: str, parts: dict) -> str:
    """The storage name of the image for ``parts`` (drawn and stored when missing)."""
    signature = sign(parts)
    folder = f"share/{kind}/{key}"
    name = f"{folder}/{signature}.png"
    if not default_storage.exists(name):
        data = render(**parts)
        try:
            _dirs, old = default_storage.listdir(folder)
        except FileNotFoundError:
            old = []
        for other in old:
            if other != f"{signature}.png":
                default_storage.delete(f"{folder}/{other}")
        default_storage.save(name, ContentFile(data))
    return name


# ----------------------------------------------------------------------------- what is drawn


def issue_parts(bulletin, *, publication, headlines: list[str], kinds: list[str]) -> dict:
    title = ";".join(headlines) or f"{bulletin.issued_on:%Y年%-m月%-d日}{publication.kind}"
    return {
        "brand": publication.name,
        "kicker": f"{bulletin.issued_on:%Y年%-m月%-d日} · {publication.kind}",
        "title": title,
        "chips": kinds,
        "footer": f"{publication.name} · 每日医药产业要闻",
    }


def item_parts(item, *, publication, chips: list[str]) -> dict:
    return {
        "brand": publication.name,
        "kicker": f"{item.bulletin.issued_on:%Y年%-m月%-d日} · {item.section.name}",
        "title": item.headline or item.body,
        "chips": chips,
        "footer": f"{publication.name} · {publication.kind}",
    }


def sign(parts: dict) -> str:
    return digest(parts["brand"], parts["kicker"], parts["title"], *parts["chips"], parts["footer"])
