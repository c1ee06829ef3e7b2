"""Photos cost what their pixels cost to decode, not what their bytes cost to send (issue 12):
a few kilobytes of PNG may declare sixty megapixels. Pixels are bounded per byte and per
request before anything is decoded; and a refused action leaves no file on disk, as it
leaves no row."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image
from rest_framework.test import APIClient

from access.errors import InvalidInput
from cases import attachments, services
from cases.attachments import PayloadTooLarge
from cases.models import Attachment, Case
from tests.builders import api_client
from tests.cases.photos import jpeg
from tests.factories import centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() else []


def png(size: tuple[int, int], *, mode: str = "1", name: str = "scan.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, format="PNG", optimize=True)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def truncated_jpeg(name: str = "cut.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 50).convert("RGB").save(buffer, format="JPEG", quality=95)
    return SimpleUploadedFile(name, buffer.getvalue()[: buffer.tell() // 2], content_type="image/jpeg")


def api(user) -> APIClient:
    return api_client(user, raise_request_exception=False)


def post_report(user, photos):
    point = centre_of(0, 0)
    return api(user).post("/api/cases/", {"category": "0301", "description": "占道", "lon": point.x,
                                          "lat": point.y, "photos": photos}, format="multipart")


@pytest.fixture
def never_decoded(monkeypatch):
    """Fails the test if any photo's pixels are decoded."""

    def refuse(photo):
        raise AssertionError(f"{photo.name} was decoded")

    monkeypatch.setattr(attachments, "prepare_photo", refuse)


# --- pixels per byte and per request ---------------------------------------------------


def test_nine_one_bit_7900_pngs_are_refused_at_once_without_decoding(town, grid_worker, never_decoded):
    """The prober's report: nine 7900×7900 1-bit PNGs, 69 KB in all, held a worker 9 s."""
    photos = [png((7900, 7900), name=f"p{i}.png") for i in range(9)]
    assert sum(p.size for p in photos) < 80_000
    started = time.monotonic()
    response = post_report(grid_worker, photos)
    assert response.status_code == 400, response.content[:300]
    assert "pixels" in response.json()["detail"]
    assert time.monotonic() - started < 3
    assert not Case.objects.exists()


def test_one_photo_with_too_many_pixels_for_its_bytes_is_400(town, grid_worker, never_decoded):
    with pytest.raises(InvalidInput, match="pixels"):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[png((7900, 7900))])


def test_a_small_flat_image_is_not_refused_for_its_ratio(town, grid_worker):
    """Under a megapixel any ratio is cheap to decode: a blank 1-bit 1000×1000 PNG is a few hundred bytes."""
    photo = png((1000, 1000))
    assert photo.size * attachments.MAX_PIXELS_PER_BYTE < 1000 * 1000
    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                description="x", photos=[photo])
    assert case.attachments.count() == 1


def test_photos_over_the_request_budget_together_are_413_before_decoding(town, grid_worker, monkeypatch,
                                                                         never_decoded):
    monkeypatch.setattr(attachments, "MAX_REQUEST_PIXELS", 10_000)
    photos = [jpeg(f"p{i}.jpg", size=(64, 48)) for i in range(4)]  # 3,072 pixels each, 12,288 together
    response = post_report(grid_worker, photos)
    assert response.status_code == 413, response.content[:300]
    assert response.json()["field"] == "photos"
    assert "megapixels" in response.json()["detail"]
    assert not Case.objects.exists()


def test_photos_within_the_request_budget_are_stored(town, grid_worker, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_REQUEST_PIXELS", 10_000)
    response = post_report(grid_worker, [jpeg(f"p{i}.jpg", size=(64, 48)) for i in range(3)])
    assert response.status_code == 201, response.content[:300]
    assert len(response.json()["attachments"]) == 3


def test_the_request_budget_holds_for_an_action_with_photos_too(town, grid_worker, centre_operator, dept_officer,
                                                               monkeypatch, case_at):
    case = case_at(Case.Status.IN_PROGRESS)
    monkeypatch.setattr(attachments, "MAX_REQUEST_PIXELS", 10_000)
    with pytest.raises(PayloadTooLarge):
        services.case_report_handled(case_id=case.pk, actor=dept_officer, result="已处理",
                                     photos=[jpeg(f"p{i}.jpg") for i in range(4)])
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_PROGRESS


def test_the_web_report_form_meets_the_same_budget(login, town, grid_worker, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_REQUEST_PIXELS", 10_000)
    point = centre_of(0, 0)
    client = login(grid_worker)
    response = client.post("/cases/report/", {
        "category": town.category.pk, "description": "占道", "lon": point.x, "lat": point.y,
        "coord_system": "wgs84", "photo": [jpeg(f"p{i}.jpg") for i in range(4)],
    })
    assert response.status_code == 413
    assert "megapixels" in response.content.decode()
    assert not Case.objects.exists()


# --- no file without its row -----------------------------------------------------------


def test_a_report_refused_for_its_second_photo_leaves_no_file(town, grid_worker, media_in_tmp):
    response = post_report(grid_worker, [jpeg("good.jpg"), truncated_jpeg()])
    assert response.status_code == 400, response.content[:300]
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert files_under(media_in_tmp) == []


def test_an_action_refused_for_its_second_photo_leaves_no_file(town, grid_worker, centre_operator, dept_officer,
                                                              media_in_tmp, case_at):
    case = case_at(Case.Status.IN_PROGRESS)
    with pytest.raises(InvalidInput, match="damaged"):
        services.case_report_handled(case_id=case.pk, actor=dept_officer, result="已处理",
                                     photos=[jpeg("good.jpg"), truncated_jpeg()])
    assert not Attachment.objects.exists()
    assert files_under(media_in_tmp) == []


def test_files_of_a_transaction_rolled_back_later_are_removed(town, grid_worker, media_in_tmp):
    class Later(Exception):
        pass

    with pytest.raises(Later), transaction.atomic():
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[jpeg("a.jpg"), jpeg("b.jpg")])
        assert len(files_under(media_in_tmp)) == 4  # two photos and their thumbnails
        raise Later
    assert not Attachment.objects.exists()
    assert files_under(media_in_tmp) == []


def test_files_of_a_committed_report_stay_with_their_rows(town, grid_worker, media_in_tmp,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="x", photos=[jpeg("a.jpg")])
    stored = {Path(a.file.path) for a in case.attachments.all()} | {
        Path(a.thumbnail.path) for a in case.attachments.all()}
    assert set(files_under(media_in_tmp)) == stored
    assert all(p.exists() for p in stored)


def test_a_refused_resolve_on_spot_leaves_no_file(town, grid_worker, media_in_tmp):
    case = services.case_report(actor=grid_worker, category=town.spot_category, location=centre_of(0, 0),
                                description="x")
    with pytest.raises(InvalidInput):
        services.case_resolve_on_spot(case_id=case.pk, actor=grid_worker, note="已清理",
                                      photos=[jpeg("a.jpg"), jpeg("b.jpg"), truncated_jpeg()])
    assert Case.objects.get(pk=case.pk).status == Case.Status.REPORTED
    assert files_under(media_in_tmp) == []


def test_a_disk_failing_halfway_leaves_neither_rows_nor_files(town, grid_worker, media_in_tmp, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    real_save = FileSystemStorage._save
    calls = []

    def save_then_fail(self, name, content):
        calls.append(name)
        if len(calls) == 3:  # the first photo and its thumbnail are on disk by now
            raise OSError("No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save_then_fail)
    with pytest.raises(OSError):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[jpeg("a.jpg"), jpeg("b.jpg")])
    assert len(calls) == 3
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert files_under(media_in_tmp) == []


@pytest.mark.django_db(transaction=True)
def test_committed_files_stay_when_an_earlier_commit_hook_fails(town, grid_worker, media_in_tmp):
    """Django stops running on-commit hooks at the first that raises: the rows are
    committed by then, so their files must stay."""

    def boom():
        raise RuntimeError("a hook registered before the report's")

    with pytest.raises(RuntimeError), transaction.atomic():
        transaction.on_commit(boom)
        case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="x", photos=[jpeg("a.jpg")])
    attachment = Attachment.objects.get(case_id=case.pk)
    assert Path(attachment.file.path).exists() and Path(attachment.thumbnail.path).exists()
    assert len(files_under(media_in_tmp)) == 2
