"""Photo checks: a photo must be a real JPEG, PNG or WebP image of bounded size and pixel
count, judged by its bytes (never by its name or declared Content-Type). Only Pillow's
parsers for those three formats ever see an upload, and what is stored is a fresh encoding
of the pixels: whatever else the file carried (EXIF, comments, a script appended to make a
polyglot) never reaches disk.

Decoding costs what the pixels cost, not what the bytes cost: nine 1-bit PNGs of 7900×7900,
69 KB in all, held a worker for 9 s. So pixels are bounded three ways, all read from the
headers before any pixel is decoded: per image (MAX_PHOTO_PIXELS), per byte sent
(MAX_PIXELS_PER_BYTE, above SMALL_PHOTO_PIXELS) and per request, all its photos together
(MAX_REQUEST_PIXELS, in store_photos).

store_photos writes the files and their rows, and removes the files again if the
transaction that holds the rows rolls back: never a file without its row, never a row
without its file."""

from __future__ import annotations

import io
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from access.errors import DomainError, InvalidInput
from cases.models import Attachment, Case, CaseEvent

logger = logging.getLogger(__name__)

# Pillow plugins allowed to parse an upload. MPO is how Pillow names a phone's JPEG that
# carries further pictures after the first (depth maps, previews); it opens as a JPEG.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
# Decoding costs 3-4 bytes of memory per pixel, twice (the upright copy): a few kilobytes of
# PNG can declare a gigapixel. 64 MP is above any phone camera's default mode.
MAX_PHOTO_PIXELS = 64_000_000
# A camera's JPEG holds 1-100 pixels per byte (a blank wall ~60), a flat PNG screenshot a
# few hundred; the prober's 1-bit PNG held 8,000. Small images are cheap whatever their ratio.
MAX_PIXELS_PER_BYTE = 1_000
SMALL_PHOTO_PIXELS = 1_000_000
# Nine photos of a phone camera's default 12 megapixels: ~2 s of decoding at worst.
MAX_REQUEST_PIXELS = 9 * 12_000_000
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


def validate_photo(photo: File) -> int:
    """Checks one photo from its headers; returns its pixel count."""
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
    if pixels > SMALL_PHOTO_PIXELS and pixels > max(size, 1) * MAX_PIXELS_PER_BYTE:
        raise InvalidInput(
            _("%(name)s declares %(megapixels).1f megapixels in only %(kb)d KB: too many pixels for its size "
              "to be a photo.") % {"name": photo.name, "megapixels": pixels / 1_000_000, "kb": max(size // 1024, 1)},
            field="photos",
        )
    return pixels


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


def check_request_pixels(photos: Sequence[File]) -> None:
    """All the photos of one request together, from their headers: PayloadTooLarge (413)
    above MAX_REQUEST_PIXELS. Each photo is checked on its own first (validate_photo)."""
    total = sum(validate_photo(photo) for photo in photos)
    if total > MAX_REQUEST_PIXELS:
        raise PayloadTooLarge(
            _("These photos hold %(megapixels)d megapixels together; one report or action takes at most "
              "%(limit)d. Send fewer or smaller photos.")
            % {"megapixels": -(-total // 1_000_000), "limit": MAX_REQUEST_PIXELS // 1_000_000},
            field="photos",
        )


def store_photos(*, case: Case, event: CaseEvent, photos: Sequence[File]) -> list[Attachment]:
    """Writes the photos of one event and their Attachment rows, inside the caller's
    transaction. Checks the request's pixels from the headers, then decodes every photo
    before writing any file (a damaged last photo refuses the lot with nothing on disk),
    and removes the files again if the transaction rolls back."""
    if not photos:
        return []
    check_request_pixels(photos)
    prepared = [prepare_photo(photo) for photo in photos]
    attachments: list[Attachment] = []
    try:
        for photo in prepared:
            attachment = Attachment(case=case, event=event, file=photo.image, thumbnail=photo.thumbnail)
            attachments.append(attachment)
            attachment.save()  # the files are written first (FileField.pre_save), then the row
    except BaseException:
        _delete(_written(attachments))
        raise
    _delete_on_rollback(_written(attachments))
    return attachments


def _written(attachments: Sequence[Attachment]) -> list[tuple[Storage, str]]:
    return [
        (field.storage, field.name)
        for attachment in attachments
        for field in (attachment.file, attachment.thumbnail)
        # Committed: written to storage (pre_save ran for it), not merely assigned.
        if field.name and getattr(field, "_committed", False)
    ]


def _delete(files: Sequence[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone either way; a file left behind is only disk space.
            logger.warning("could not remove photo %s of a rolled-back transaction", name, exc_info=True)


class _KeepOnCommit:
    """Registered with transaction.on_commit. Django calls it when the transaction
    commits; when the transaction (or the savepoint it was registered in) rolls back,
    Django drops it from connection.run_on_commit instead, and nothing else holds it, so
    it is collected at once and its finalizer deletes the files. Django has no on-rollback
    hook; this is the one signal a rollback gives that reaches every caller's transaction
    (a service's, a view's, a test's), wherever the rollback happens."""

    def __init__(self, committed: list[bool]) -> None:
        self.committed = committed

    def __call__(self) -> None:
        self.committed[0] = True


def _delete_unless_committed(files: list[tuple[Storage, str]], committed: list[bool]) -> None:
    if not committed[0]:
        _delete(files)


def _delete_on_rollback(files: list[tuple[Storage, str]]) -> None:
    committed = [False]
    marker = _KeepOnCommit(committed)
    # The finalizer holds the files and the flag, never the marker itself.
    weakref.finalize(marker, _delete_unless_committed, files, committed)
    connection = transaction.get_connection()
    connection.on_commit(marker, robust=True)
    if connection.in_atomic_block:
        # First among the hooks: Django stops running them at the first that raises, and a
        # marker left uncalled after a commit would delete the files of committed rows.
        # It only sets a flag, so running it before the others changes nothing for them.
        connection.run_on_commit.insert(0, connection.run_on_commit.pop())
