"""Photos are stored upright, without their EXIF block, with a thumbnail; bad ones are
refused before anything is written."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from access.errors import InvalidInput
from cases import services
from cases.attachments import PayloadTooLarge
from cases.models import Attachment, Case
from tests.cases.photos import fake_jpeg
from tests.factories import centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")


def sideways_phone_photo() -> SimpleUploadedFile:
    """200×100 pixels stored with EXIF orientation 6 (rotate 90° clockwise to view) and a
    GPS block, as phones write them."""
    image = Image.new("RGB", (200, 100), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x8825] = {2: (31.0, 34.0, 12.0), 4: (120.0, 18.0, 5.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0001.JPG", buffer.getvalue(), content_type="image/jpeg")


def test_photo_is_turned_upright_stripped_and_thumbnailed(town, grid_worker):
    services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                         description="x", photos=[sideways_phone_photo()])
    attachment = Attachment.objects.get()
    with Image.open(attachment.file.path) as stored:
        assert stored.size == (100, 200)  # upright: portrait
        assert not stored.getexif()  # no orientation flag, no GPS
    with Image.open(attachment.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320


def test_fake_and_oversize_photos_leave_nothing_behind(town, grid_worker, settings):
    with pytest.raises(InvalidInput):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[fake_jpeg()])
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(PayloadTooLarge):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[sideways_phone_photo()])
    assert not Case.objects.exists() and not Attachment.objects.exists()
