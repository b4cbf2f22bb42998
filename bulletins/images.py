"""Uploaded images: what is accepted, and the small logo thumbnails the public pages show.

``validate_image`` is the validator of every ``ImageField`` (``Item.image``, ``Entity.logo``).
It refuses, each with its own code and message: a file over ``NEWSROOM_MAX_IMAGE_BYTES``
(``image_too_large``), anything Pillow cannot read (``image_invalid``), a format other than
JPEG/PNG/WebP/GIF (``image_format``), more pixels than ``NEWSROOM_MAX_IMAGE_PIXELS``
(``image_too_many_pixels``, also any Pillow decompression-bomb warning or error), and a file
whose pixel data is cut short (``image_truncated``). The pixel count is checked from the
header before anything is decoded, so the decode that finds truncation is bounded.

``reencode_uploads`` (a ``pre_save`` receiver for every model with an ``ImageField``) stores
what Pillow decoded, encoded again, never the uploaded bytes: whatever rides after a valid
image (HTML, a script, a second file) or inside its metadata (EXIF, comments) is dropped.

``logo_thumbnail`` makes a square PNG of a logo once, under a name derived from the logo's
file name, so a new logo gets a new thumbnail and an old one is never served for it.
"""

import hashlib
import io
import logging
import warnings

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024
# A 40-megapixel RGBA image decodes to 160 MB: the most one upload may make a worker hold.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
THUMBNAIL_DIR = "entities/thumbs"
# Saves a storage round trip per page; short enough that a wiped media volume heals itself.
THUMBNAIL_CACHE_SECONDS = 24 * 60 * 60

BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def max_image_bytes() -> int:
    return getattr(settings, "NEWSROOM_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)


def max_image_pixels() -> int:
    return getattr(settings, "NEWSROOM_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        _("图片像素过多(%(width)s×%(height)s),最多 %(limit)s 万像素,请缩小后再上传。"),
        code="image_too_many_pixels",
        params={"width": width, "height": height, "limit": max_image_pixels() // 10_000},
    )


def validate_image(file) -> None:
    """Refuse an upload that is too large, not a JPEG/PNG/WebP/GIF, a bomb, or truncated.

    A file already in storage (an unchanged field on a later save) was checked when it was
    uploaded: it is not read again, so a missing or since-disallowed file never blocks an edit.
    """
    if file is None or getattr(file, "_committed", False):
        return
    size = getattr(file, "size", None)
    limit = max_image_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            _("图片文件过大(%(size)s),不能超过 %(limit)s。"),
            code="image_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        _check_image(file)
    finally:
        if position is not None:
            file.seek(position)


def _check_image(file) -> None:
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; here a warning refuses too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file)
        except BOMB_ERRORS as exc:
            raise ValidationError(
                _("图片像素过多,疑似解压炸弹,已拒绝。"), code="image_too_many_pixels"
            ) from exc
        except Exception as exc:  # UnidentifiedImageError, or a plugin's own parse error
            raise ValidationError(
                _("这个文件不是图片,或已损坏;请上传 JPEG、PNG、WebP 或 GIF 图片。"),
                code="image_invalid",
            ) from exc
        with image:
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("不支持 %(format)s 格式的图片;请上传 JPEG、PNG、WebP 或 GIF 图片。"),
                    code="image_format",
                    params={"format": image.format or "?"},
                )
            width, height = image.size
            if width * height > max_image_pixels():
                raise _too_many_pixels(width, height)
            # A JPEG decodes at 1/8 scale: the whole stream is still read, in an eighth of
            # the memory. Only the first frame of an animation is decoded.
            image.draft(None, (max(width // 8, 1), max(height // 8, 1)))
            try:
                image.load()
            except BOMB_ERRORS as exc:
                raise _too_many_pixels(width, height) from exc
            except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, …
                raise ValidationError(
                    _("图片文件不完整(可能上传中断或已损坏),请重新上传。"),
                    code="image_truncated",
                ) from exc


# What an accepted format is written as (GIF keeps its frames; JPEG a high quality).
REENCODE = {
    "JPEG": ("JPEG", ".jpg", {"quality": 90}),
    "PNG": ("PNG", ".png", {"optimize": True}),
    "WEBP": ("WEBP", ".webp", {"quality": 90}),
    "GIF": ("GIF", ".gif", {"save_all": True}),
}


def reencode_image(file) -> ContentFile:
    """The image in ``file`` decoded and encoded again by Pillow (a validated upload)."""
    file.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(file, formats=ALLOWED_FORMATS) as image:
            fmt, extension, options = REENCODE[image.format]
            if image.format == "GIF":
                out = io.BytesIO()
                image.save(out, fmt, **options)
            else:
                picture = ImageOps.exif_transpose(image)
                if fmt == "JPEG" and picture.mode not in ("RGB", "L", "CMYK"):
                    picture = picture.convert("RGB")
                out = io.BytesIO()
                picture.save(out, fmt, **options)
    stem = (getattr(file, "name", "") or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return ContentFile(out.getvalue(), name=f"{stem or 'image'}{extension}")


def reencode_uploads(sender, instance, **kwargs) -> None:
    """Before a save, replace each newly uploaded image by its re-encoding."""
    from django.db import models

    for field in sender._meta.concrete_fields:
        if not isinstance(field, models.ImageField):
            continue
        value = getattr(instance, field.attname)
        if not value or getattr(value, "_committed", True):
            continue  # nothing new: a stored file was re-encoded when it was uploaded
        try:
            setattr(instance, field.attname, reencode_image(value.file))
        except Exception:  # validation runs first in forms and the API; here: refuse
            raise ValidationError(
                _("这个文件不是图片,或已损坏;请上传 JPEG、PNG、WebP 或 GIF 图片。"),
                code="image_invalid",
            ) from None


def thumbnail_name(logo_name: str, size: int) -> str:
    digest = hashlib.sha256(logo_name.encode()).hexdigest()[:16]
    return f"{THUMBNAIL_DIR}/{digest}-{size}.png"


def logo_thumbnail(entity, size: int = 96) -> str | None:
    """The storage name of ``entity``'s logo as a ``size``×``size`` PNG, made on first use.

    The logo is contained in the square (never cropped, small logos scaled up) on a
    transparent background, after its EXIF orientation is applied. ``None`` when there is no
    logo or it cannot be read: a broken file costs the page its logo, never the page.
    """
    logo = entity.logo
    if not logo:
        return None
    name = thumbnail_name(logo.name, size)
    cache_key = f"bulletins:logo-thumbnail:{name}"
    if cache.get(cache_key):
        return name
    storage = logo.storage
    try:
        if not storage.exists(name):
            with storage.open(logo.name, "rb") as source:
                data = _thumbnail_png(source, size)
            saved = storage.save(name, ContentFile(data))
            if saved != name:  # another worker made it meanwhile: keep theirs
                storage.delete(saved)
    except Exception:
        logger.warning("No thumbnail for the logo %s of %s", logo.name, entity, exc_info=True)
        return None
    cache.set(cache_key, True, THUMBNAIL_CACHE_SECONDS)
    return name


def logo_thumbnail_url(entity, size: int = 96) -> str:
    name = logo_thumbnail(entity, size)
    return entity.logo.storage.url(name) if name else ""


def _thumbnail_png(source, size: int) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source, formats=ALLOWED_FORMATS) as image:
            width, height = image.size
            if width * height > max_image_pixels():
                raise ValueError(f"{width}×{height} pixels")
            image.draft(None, (size, size))
            image = ImageOps.exif_transpose(image).convert("RGBA")
            image = ImageOps.contain(image, (size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    canvas.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "PNG", optimize=True)
    return out.getvalue()
