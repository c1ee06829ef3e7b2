"""Photo checks: a photo must be a real image of an accepted format and not too large.
Pillow decodes the header, so a text file renamed .jpg is refused rather than stored."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

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


THUMBNAIL_SIZE = (320, 320)


@dataclass(frozen=True)
class PreparedPhoto:
    image: ContentFile[bytes]
    thumbnail: ContentFile[bytes]


def prepare_photo(photo: File) -> PreparedPhoto:
    """The photo as stored: turned upright by its EXIF orientation (phones store sideways
    pixels and a rotation flag), re-encoded without its EXIF block (which carries the
    phone's GPS track and serial: personal data), plus a thumbnail for lists and timelines."""
    photo.seek(0)
    with Image.open(photo) as original:
        upright = ImageOps.exif_transpose(original)
        keep_alpha = upright.mode in ("RGBA", "LA", "P") and original.format == "PNG"
        fmt, ext = ("PNG", "png") if keep_alpha else ("JPEG", "jpg")
        if not keep_alpha and upright.mode != "RGB":
            upright = upright.convert("RGB")
        stem = PurePath(photo.name or "photo").stem[:60] or "photo"
        body = io.BytesIO()
        upright.save(body, format=fmt, quality=88)
        thumb = upright.copy()
        thumb.thumbnail(THUMBNAIL_SIZE)
        small = io.BytesIO()
        thumb.save(small, format=fmt, quality=80)
    photo.seek(0)
    return PreparedPhoto(
        image=ContentFile(body.getvalue(), name=f"{stem}.{ext}"),
        thumbnail=ContentFile(small.getvalue(), name=f"{stem}-thumb.{ext}"),
    )
