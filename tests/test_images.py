import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from bulletins import images
from bulletins.images import logo_thumbnail, validate_image
from bulletins.models import Entity, Item, ItemEntity
from bulletins.readmodels import visibility_changed
from bulletins.roles import CHIEF

from .factories import EntityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_bytes(fmt="PNG", size=(300, 150), mode="RGB", color="red", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of a few kilobytes that decodes to width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + one bit per pixel
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def refusal(name: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_image(SimpleUploadedFile(name, data))
    return caught.value


# ----------------------------------------------------------------------------- the validator


def test_text_is_refused_as_not_an_image():
    error = refusal("logo.png", "这不是图片".encode())
    assert error.code == "image_invalid"
    assert "不是图片" in error.messages[0]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused(fmt):
    error = refusal("logo.img", truncated(image_bytes(fmt)))
    assert error.code == "image_truncated"
    assert "不完整" in error.messages[0]


def test_a_format_other_than_jpeg_png_webp_gif_is_refused():
    error = refusal("logo.bmp", image_bytes("BMP"))
    assert error.code == "image_format"
    assert "BMP" in error.messages[0]


def test_too_many_pixels_are_refused_from_the_header_without_decoding(monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    data = bomb_png(8000, 8000)
    assert len(data) < 10_000
    error = refusal("bomb.png", data)
    assert error.code == "image_too_many_pixels"
    assert "8000×8000" in error.messages[0] and "4000 万像素" in error.messages[0]


@pytest.mark.parametrize("side", [10_000, 15_000], ids=["pillow-warning", "pillow-error"])
def test_pillow_decompression_bomb_warning_and_error_both_refuse(settings, side):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 10**9  # only Pillow's own limit is left to trip
    error = refusal("bomb.png", bomb_png(side, side))
    assert error.code == "image_too_many_pixels"
    assert "解压炸弹" in error.messages[0]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.NEWSROOM_MAX_IMAGE_BYTES = 100
    error = refusal("logo.png", image_bytes("PNG", color="white") + b"\0" * 200)
    assert error.code == "image_too_large"
    assert "过大" in error.messages[0] and "100" in error.messages[0]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_jpeg_png_webp_and_gif_are_accepted(fmt):
    upload = SimpleUploadedFile("logo", image_bytes(fmt))
    upload.seek(7)
    validate_image(upload)
    assert upload.tell() == 7  # the upload is left where it was, so it is stored whole


def test_item_images_and_entity_logos_both_use_the_validator():
    assert validate_image in Item._meta.get_field("image").validators
    assert validate_image in Entity._meta.get_field("logo").validators


def test_a_stored_logo_is_not_read_again_on_a_later_save(monkeypatch):
    entity = EntityFactory(logo="entities/gone.png")  # the file is not in storage
    opened = []
    storage = entity.logo.storage
    storage.exists  # noqa: B018 — the default storage is lazy: set up the real one first

    def record(storage, name, mode="rb"):
        opened.append(name)
        raise FileNotFoundError(name)

    monkeypatch.setattr(type(storage._wrapped), "open", record)
    entity.full_clean()  # would raise (or record) if the validator read the stored file
    entity.save()
    assert opened == []
    entity.refresh_from_db()
    assert entity.logo.name == "entities/gone.png"


# ----------------------------------------------------------------------------- the admin


@pytest.fixture
def chief_client(client):
    client.force_login(UserFactory(username="chief-images", role=CHIEF))
    return client


@pytest.fixture
def entity(db):
    return EntityFactory(name="恒瑞医药", name_en="Hengrui", slug="hengrui")


def post_logo(client, entity, name, data):
    return client.post(
        f"/admin/bulletins/entity/{entity.pk}/change/",
        {
            "type": entity.type,
            "name": entity.name,
            "name_en": entity.name_en,
            "slug": entity.slug,
            "external_ids": "{}",
            "logo": SimpleUploadedFile(name, data),
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )


# Django's own image form field refuses what Pillow cannot open at all before the model's
# validator runs; its message is Django's (translated), with its code ``invalid_image``.
BAD_UPLOADS = {
    "not-an-image": ("logo.png", "这不是图片".encode(), "invalid_image", "不是图片"),
    "truncated-png": ("logo.png", truncated(image_bytes("PNG")), "invalid_image", "损坏"),
    "truncated-jpeg": ("logo.jpg", truncated(image_bytes("JPEG")), "image_truncated", "不完整"),
    "bmp": ("logo.bmp", image_bytes("BMP"), "image_format", "不支持 BMP"),
    "bomb": ("logo.png", bomb_png(8000, 8000), "image_too_many_pixels", "像素过多"),
    "oversized": ("logo.png", image_bytes("PNG"), "image_too_large", "过大"),
}


@pytest.mark.parametrize(("name", "data", "code", "message"), BAD_UPLOADS.values(), ids=BAD_UPLOADS)
def test_a_bad_logo_upload_is_refused_on_the_entity_form(
    chief_client, entity, media, settings, name, data, code, message
):
    if code == "image_too_large":
        settings.NEWSROOM_MAX_IMAGE_BYTES = len(data) - 1
    response = post_logo(chief_client, entity, name, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["logo"]] == [code]
    assert message in response.content.decode()
    entity.refresh_from_db()
    assert not entity.logo
    assert not (media / "entities").exists()


def test_a_valid_logo_is_stored_and_the_entity_page_shows_its_thumbnail(
    chief_client, entity, published_bulletin, media
):
    response = post_logo(chief_client, entity, "hengrui.png", image_bytes("PNG", size=(300, 150)))
    assert response.status_code == 302
    entity.refresh_from_db()
    with Image.open(media / entity.logo.name) as stored:
        assert stored.size == (300, 150)
    ItemEntity.objects.create(item=published_bulletin.items.first(), entity=entity)
    visibility_changed(
        items=[published_bulletin.items.first()]
    )  # rows written directly: the workflow's hook

    page = chief_client.get(entity.get_absolute_url()).content.decode()

    name = images.thumbnail_name(entity.logo.name, 96)
    assert (
        f'<img class="logo" src="/media/{name}" alt="恒瑞医药 标志" width="64" height="64">' in page
    )
    with Image.open(media / name) as thumb:
        assert (thumb.format, thumb.size, thumb.mode) == ("PNG", (96, 96), "RGBA")
        assert thumb.getpixel((48, 48)) == (255, 0, 0, 255)  # the logo, contained …
        assert thumb.getpixel((48, 5))[3] == 0  # … on a transparent square


# ----------------------------------------------------------------------------- thumbnails


def entity_with_logo(data: bytes, filename: str = "logo.png", **kwargs) -> Entity:
    entity = EntityFactory(**kwargs)
    entity.logo.save(filename, ContentFile(data))
    return entity


def test_a_thumbnail_is_made_once_and_then_reused(monkeypatch):
    entity = entity_with_logo(image_bytes("PNG"))
    name = logo_thumbnail(entity)
    assert default_storage.exists(name)

    def no_second_thumbnail(source, size):
        raise AssertionError("thumbnail made twice")

    monkeypatch.setattr(images, "_thumbnail_png", no_second_thumbnail)
    assert logo_thumbnail(entity) == name
    assert logo_thumbnail(Entity.objects.get(pk=entity.pk)) == name


def test_a_new_logo_gets_a_new_thumbnail():
    entity = entity_with_logo(image_bytes("PNG", color="red"))
    first = logo_thumbnail(entity)
    entity.logo.save("logo.png", ContentFile(image_bytes("PNG", color="blue")))
    second = logo_thumbnail(entity)
    assert second != first
    with default_storage.open(second) as f, Image.open(f) as thumb:
        assert thumb.getpixel((48, 48)) == (0, 0, 255, 255)


def test_a_thumbnail_has_the_requested_size_and_follows_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated a quarter turn: portrait
    entity = entity_with_logo(image_bytes("JPEG", size=(200, 100), exif=exif), "logo.jpg")
    with default_storage.open(logo_thumbnail(entity, size=48)) as f, Image.open(f) as thumb:
        assert thumb.size == (48, 48)
        assert thumb.getpixel((24, 2))[3] > 0  # portrait: touches the top …
        assert thumb.getpixel((2, 24))[3] == 0  # … and leaves the sides transparent


def test_a_palette_gif_with_transparency_keeps_it():
    data = image_bytes("GIF", size=(40, 40), mode="P", color=0, transparency=0)
    entity = entity_with_logo(data, "logo.gif")
    with default_storage.open(logo_thumbnail(entity)) as f, Image.open(f) as thumb:
        assert thumb.mode == "RGBA" and thumb.getpixel((48, 48))[3] == 0


def test_an_unreadable_logo_costs_the_page_its_logo_not_the_page(client, published_bulletin):
    entity = entity_with_logo(b"not an image", "broken.png", name="坏图公司")
    ItemEntity.objects.create(item=published_bulletin.items.first(), entity=entity)
    visibility_changed(
        items=[published_bulletin.items.first()]
    )  # rows written directly: the workflow's hook
    assert logo_thumbnail(entity) is None
    response = client.get(entity.get_absolute_url())
    assert response.status_code == 200
    assert 'class="logo"' not in response.content.decode()


def test_an_entity_without_a_logo_has_no_thumbnail():
    assert logo_thumbnail(EntityFactory()) is None


def test_an_upload_is_stored_re_encoded_not_byte_for_byte(chief_client, entity, media):
    """Defect 14: a valid PNG followed by HTML was stored as uploaded; now only pixels are."""
    polyglot = image_bytes("PNG", size=(40, 20)) + b"<html><script>alert(1)</script></html>"
    response = post_logo(chief_client, entity, "logo.png", polyglot)
    assert response.status_code == 302
    entity.refresh_from_db()
    stored = (media / entity.logo.name).read_bytes()
    assert b"<script>" not in stored and stored != polyglot
    with Image.open(media / entity.logo.name) as image:
        assert (image.format, image.size) == ("PNG", (40, 20))


def test_a_jpeg_loses_its_metadata_and_keeps_its_pixels(db, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    data = image_bytes("JPEG", size=(64, 32), exif=exif.tobytes())
    assert b"secret description" in data
    entity = EntityFactory(name="某公司", slug="some-co")
    entity.logo = SimpleUploadedFile("photo.jpeg", data)
    entity.save()
    stored = (media / entity.logo.name).read_bytes()
    assert b"secret description" not in stored
    with Image.open(media / entity.logo.name) as image:
        assert (image.format, image.size) == ("JPEG", (64, 32))
