"""Photo checks: a photo must be a real JPEG, PNG or WebP image of bounded size and pixel
count, judged by its bytes (never by its name or declared Content-Type). Only Pillow's
parsers for those three formats ever see an upload, and what is stored is a fresh encoding
of the pixels: whatever else the file carried (EXIF, comments, a script appended to make a
polyglot) never reaches disk."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from access.errors import DomainError, InvalidInput

# Pillow plugins allowed to parse an upload. MPO is how Pillow names a phone's JPEG that
# carries further pictures after the first (depth maps, previews); it opens as a JPEG.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
# Decoding costs 3-4 bytes of memory per pixel, twice (the upright copy): a few kilobytes of
# PNG can declare a gigapixel. 64 MP is above any phone camera's default mode.
MAX_PHOTO_PIXELS = 64_000_000
# Formats people do send, named in the refusal rather than "not an image". Never parsed.
_OTHER_SIGNATURES = {b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}
_OTHER_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}


# Photos one report or action may carry: a phone's picker shows nine at a time (九宫格).
MAX_PHOTOS = 9


class PayloadTooLarge(DomainError):
    http_status = 413
    code = "too_large"


def _other_format(head: bytes) -> str | None:
    for signature, name in _OTHER_SIGNATURES.items():
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        return _OTHER_BRANDS.get(head[8:12])
    return None


def validate_photo(photo: File) -> None:
    size = photo.size or 0
    if size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("Photo %(name)s is %(size)d bytes; the limit is %(limit)d.")
            % {"name": photo.name, "size": size, "limit": settings.MAX_UPLOAD_BYTES},
            field="photos",
        )
    try:
        photo.seek(0)
        other = _other_format(photo.read(16))
        if other:
            raise InvalidInput(
                _("%(name)s: image format %(format)s is not accepted.") % {"name": photo.name, "format": other},
                field="photos",
            )
        photo.seek(0)
        # Opening reads the header only; Pillow itself refuses above twice its own limit.
        with Image.open(photo, formats=ACCEPTED_FORMATS) as image:
            pixels = image.width * image.height
            if pixels <= MAX_PHOTO_PIXELS:
                image.verify()
    except Image.DecompressionBombError:
        pixels = MAX_PHOTO_PIXELS + 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(_("%(name)s is not an image.") % {"name": photo.name}, field="photos") from None
    finally:
        photo.seek(0)
    if pixels > MAX_PHOTO_PIXELS:
        raise InvalidInput(
            _("%(name)s has too many pixels; the limit is %(limit)d megapixels.")
            % {"name": photo.name, "limit": MAX_PHOTO_PIXELS // 1_000_000},
            field="photos",
        )


THUMBNAIL_SIZE = (320, 320)
# What prepare_photo writes, and the only types cases.views.case_photo serves inline.
SERVED_PHOTO_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class PreparedPhoto:
    image: ContentFile[bytes]
    thumbnail: ContentFile[bytes]


def prepare_photo(photo: File) -> PreparedPhoto:
    """The photo as stored: turned upright by its EXIF orientation (phones store sideways
    pixels and a rotation flag), re-encoded without its EXIF block (which carries the
    phone's GPS track and serial: personal data), plus a thumbnail for lists and timelines."""
    photo.seek(0)
    try:
        with Image.open(photo, formats=ACCEPTED_FORMATS) as original:
            upright = ImageOps.exif_transpose(original)
            keep_alpha = original.format == "PNG" and (
                upright.mode in ("RGBA", "LA") or "transparency" in upright.info
            )
            fmt, ext = ("PNG", "png") if keep_alpha else ("JPEG", "jpg")
            upright = upright.convert("RGBA" if keep_alpha else "RGB")
            # Nothing of the upload's metadata is written back (JPEG comments, PNG text and
            # ICC chunks may carry anything): only the pixels.
            upright.info = {}
            stem = PurePath(photo.name or "photo").stem[:60] or "photo"
            body = io.BytesIO()
            upright.save(body, format=fmt, quality=88)
            thumb = upright.copy()
            thumb.thumbnail(THUMBNAIL_SIZE)
            small = io.BytesIO()
            thumb.save(small, format=fmt, quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # validate_photo reads headers only; a file cut short fails here, when decoded.
        raise InvalidInput(
            _("%(name)s is damaged or incomplete.") % {"name": photo.name}, field="photos"
        ) from None
    finally:
        photo.seek(0)
    return PreparedPhoto(
        image=ContentFile(body.getvalue(), name=f"{stem}.{ext}"),
        thumbnail=ContentFile(small.getvalue(), name=f"{stem}-thumb.{ext}"),
    )
