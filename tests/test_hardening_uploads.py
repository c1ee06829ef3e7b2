"""Uploads are judged by their bytes, never by their name or declared type: only JPEG, PNG
and WebP images pass, and what is stored and served is a fresh encoding of the pixels, with
a fixed image Content-Type and nosniff."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from access.errors import InvalidInput
from cases import services
from cases.models import Attachment, Case
from tests.builders import api_client
from tests.factories import centre_of

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


pytestmark = pytest.mark.usefixtures("media_in_tmp")


def encoded(fmt: str, *, mode: str = "RGB", size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    buffer = io.BytesIO()
    colour = {"RGBA": (30, 120, 200, 128), "RGB": (30, 120, 200)}.get(mode, 1)
    Image.new(mode, size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def as_jpeg(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    """Whatever the bytes, the upload claims to be a JPEG by name and by Content-Type."""
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def post_report(user, photo: SimpleUploadedFile):
    client = api_client(user)
    point = centre_of(0, 0)
    data = {"category": "0301", "description": "井盖缺失", "lon": point.x, "lat": point.y, "photos": [photo]}
    return client.post("/api/cases/", data, format="multipart")


def stored_bytes() -> bytes:
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored:
        return stored.read()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A GIF header whose bytes also parse as JavaScript (GIF89a=…): the classic image/script polyglot.
GIF_JS = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1);/*" + encoded("GIF")[13:] + b"*/"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (SCRIPT, "html"),
        (SVG, "svg"),
        (PDF, "pdf"),
        (encoded("GIF"), "gif"),
        (GIF_JS, "gif-js polyglot"),
        (encoded("BMP"), "bmp"),
        (encoded("TIFF"), "tiff"),
    ],
)
def test_non_photo_renamed_jpg_is_400(town, grid_worker, content, kind):
    response = post_report(grid_worker, as_jpeg(content))
    assert response.status_code == 400, (kind, response.content)
    assert response.json()["field"] == "photos"
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_png_renamed_jpg_is_accepted_as_png(town, grid_worker, client):
    response = post_report(grid_worker, as_jpeg(encoded("PNG", mode="RGBA"), name="camera.jpg"))
    assert response.status_code == 201, response.content
    stored = stored_bytes()
    assert stored.startswith(b"\x89PNG\r\n\x1a\n")
    assert Attachment.objects.get().file.name.endswith(".png")  # named by its content, not the upload
    client.force_login(grid_worker)
    served = client.get(reverse("case-photo", args=[response.json()["id"], Attachment.objects.get().pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_format_passes_whatever_its_name(town, grid_worker, fmt):
    response = post_report(grid_worker, SimpleUploadedFile("upload.bin", encoded(fmt), content_type="text/html"))
    assert response.status_code == 201, response.content


def test_phone_multi_picture_jpeg_is_a_jpeg(town, grid_worker):
    """Phones write MPO (a JPEG with further pictures after it); Pillow names it MPO."""
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (32, 24), (30, 200, 30))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(buffer.getvalue())) as probe:
        assert probe.format == "MPO"
    response = post_report(grid_worker, as_jpeg(buffer.getvalue()))
    assert response.status_code == 201, response.content
    assert stored_bytes().startswith(b"\xff\xd8")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_polyglot_image_is_stored_without_its_payload(town, grid_worker, fmt):
    """A real image that also carries HTML (appended, as GIFAR-style polyglots do) passes the
    image check, but only freshly encoded pixels are stored: the payload never reaches disk."""
    response = post_report(grid_worker, as_jpeg(encoded(fmt) + SCRIPT))
    assert response.status_code == 201, response.content
    stored = stored_bytes()
    assert b"<script>" not in stored and b"alert" not in stored


def test_jpeg_comment_payload_is_not_stored(town, grid_worker):
    content = encoded("JPEG", comment=SCRIPT)
    assert SCRIPT in content
    assert post_report(grid_worker, as_jpeg(content)).status_code == 201
    assert b"<script>" not in stored_bytes()


def test_truncated_jpeg_is_400_not_500(town, grid_worker):
    content = encoded("JPEG", size=(640, 480), quality=95)
    response = post_report(grid_worker, as_jpeg(content[: len(content) // 2]))
    assert response.status_code == 400, response.content
    assert not Case.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("size", [(20_000, 20_000), (9_000, 8_000)])  # past Pillow's own limit; past ours only
def test_decompression_bomb_is_400_not_500(town, grid_worker, size):
    """A few kilobytes that declare a huge picture: refused before decoding."""
    content = encoded("PNG", mode="1", size=size)
    assert len(content) < 200_000
    response = post_report(grid_worker, as_jpeg(content))
    assert response.status_code == 400, response.content
    assert "pixels" in response.json()["detail"]


def test_service_refuses_svg_whatever_the_caller(town, grid_worker):
    with pytest.raises(InvalidInput):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[SimpleUploadedFile("map.png", SVG, content_type="image/png")])


def test_served_photo_is_an_image_with_nosniff_and_inline_disposition(town, grid_worker, client):
    response = post_report(grid_worker, as_jpeg(encoded("JPEG"), name='"><img src=x>.jpg'))
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    client.force_login(grid_worker)
    served = client.get(reverse("case-photo", args=[response.json()["id"], attachment.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    disposition = served["Content-Disposition"]
    assert disposition.startswith("inline;") and "<" not in disposition and '">' not in disposition
    assert "private" in served["Cache-Control"]


def test_stored_file_of_an_unexpected_type_is_downloaded_not_shown(town, grid_worker, client):
    """Should anything but a stored photo ever sit behind a photo URL (a file copied in by
    hand, an old import), it goes out as a download of unknown type, never rendered."""
    services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                         description="x", photos=[as_jpeg(encoded("JPEG"))])
    attachment = Attachment.objects.get()
    attachment.file.save("page.html", io.BytesIO(SCRIPT), save=True)
    client.force_login(grid_worker)
    served = client.get(reverse("case-photo", args=[attachment.case_id, attachment.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
