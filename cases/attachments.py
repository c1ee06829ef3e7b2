"""Photo checks: a photo must be a real image of an accepted format and not too large.
Pillow decodes the header, so a text file renamed .jpg is refused rather than stored."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from cases.errors import DomainError, InvalidInput

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


class PayloadTooLarge(DomainError):
    http_status = 413
    code = "too_large"


def validate_photo(photo: File) -> None:
    size = photo.size or 0
    if size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("Photo %(name)s is %(size)d bytes; the limit is %(limit)d.")
            % {"name": photo.name, "size": size, "limit": settings.MAX_UPLOAD_BYTES}
        )
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image.verify()
            image_format = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(_("%(name)s is not an image.") % {"name": photo.name}) from None
    finally:
        photo.seek(0)
    if image_format not in ACCEPTED_FORMATS:
        raise InvalidInput(_("%(name)s: image format %(format)s is not accepted.") % {"name": photo.name, "format": image_format})
