"""Images on every upload path (proposal attachments, objection photos): a decompression bomb or
an image above the pixel limit is refused with a message before it is decoded; an accepted photo
is stored re-encoded, upright, at most 2048 px on its longest side and without EXIF."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from grants.editions.states import edition_machine
from grants.proposals import attachments
from grants.proposals.models import Attachment
from grants.results import queries
from grants.results.models import Objection
from tests.judging.conftest import final_closed, scoring  # noqa: F401  (fixtures used here)
from tests.results.conftest import awarded, published  # noqa: F401


def declared_png(width: int, height: int) -> bytes:
    """A small PNG file whose header declares ``width`` × ``height`` pixels (a decompression bomb
    when large: the few bytes of data would inflate to gigabytes)."""
    real = io.BytesIO()
    Image.new("1", (1, 1)).save(real, format="PNG")
    data = bytearray(real.getvalue())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    body = bytes(data[ihdr - 4 : ihdr + 13])  # type + 13 bytes of IHDR data
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(body))
    return bytes(data)


def photo(width: int, height: int, *, with_exif: bool = True) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if with_exif:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show upright
    Image.new("RGB", (width, height), "green").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def edition(world, session):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


def test_declared_size_is_read_from_the_header():
    assert Image.open(io.BytesIO(declared_png(123, 45))).size == (123, 45)


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (8000, 6000)])
def test_check_upload_refuses_images_above_the_pixel_limit(width, height):
    with pytest.raises(attachments.ImageTooLarge, match="百万像素"):
        attachments.check_upload(declared_png(width, height), 10 * 1024 * 1024, max_pixels=40_000_000)


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (8000, 6000)])
def test_a_large_or_bomb_image_is_refused_as_an_attachment(
    client, login_as, world, session, make, edition, width, height
):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    response = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(declared_png(width, height)), "大图.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code < 500 and "图片尺寸太大" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_pixel_limit_is_a_setting(client, login_as, world, session, make, edition, app):
    app.config["IMAGE_MAX_PIXELS"] = 1000
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    response = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(photo(40, 30)), "a.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "图片尺寸太大" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_attachment_form_sent_without_a_file_says_so_and_stores_nothing(
    client, login_as, world, session, make, edition
):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    for data in ({}, {"file": (io.BytesIO(b""), "")}):  # no field at all; the field with nothing chosen
        response = client.post(
            f"/proposals/{proposal.id}/attachments",
            data=data,
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200 and "请选择要上传的文件" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_accepted_photo_is_stored_upright_smaller_and_without_exif(
    client, login_as, world, session, make, edition, reencoding
):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    original = photo(3000, 2000)
    assert Image.open(io.BytesIO(original)).getexif()
    response = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(original), "现场.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert reencoding == [False]  # re-encoded before the write transaction (grants/uploads.py)
    item = session.scalar(select(Attachment))
    stored = client.get(f"/attachments/{item.id}").data
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and item.mime == "image/jpeg"
    assert image.size == (1365, 2048)  # turned upright (EXIF orientation 6), longest side 2048
    assert not image.getexif() and "exif" not in image.info
    assert item.size == len(stored) and item.sha256 == hashlib.sha256(stored).hexdigest()


def test_a_bomb_is_refused_as_an_objection_photo(client, login_as, session, world, published):  # noqa: F811
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    login_as(world.resident)
    response = client.post(
        f"/entries/{entry.id}/objection",
        data={"text": "附件是一张声明了巨大尺寸的图片。", "file": (io.BytesIO(declared_png(30000, 30000)), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "图片尺寸太大" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Objection.id))) == 0
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_every_upload_path_checks_through_one_function():
    """The services that take files (objection, star-rating evidence, agreement scan, expense
    receipt, report and activity photos) store them through ``store_checked_upload``, or
    ``check`` + ``store_checked`` or ``insert_checked``: the content check cannot be skipped on one
    path."""
    from pathlib import Path

    callers = {
        path.as_posix()
        for path in Path("grants").rglob("*.py")
        if "store_upload(" in path.read_text(encoding="utf-8") and path.name != "attachments.py"
    }
    assert callers == set()


def test_checked_uploads_inserted_together_keep_their_order_and_leave_no_file_on_rollback(session, world, tmp_path):
    """``insert_checked``: one statement for the rows (an activity's photos), ids in the uploads'
    order, a photo left to clean later kept in the pending folder; a rollback removes every file."""
    uploads = [
        attachments.check(attachments.Upload(name, photo(40 + i, 30), 1024 * 1024), photo=True, clean_later=i > 0)
        for i, name in enumerate(["一.jpg", "二.jpg", "三.jpg"])
    ]
    ids = attachments.insert_checked(session, actor_id=world.resident.id, uploads=uploads, upload_dir=tmp_path)
    rows = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids)))}
    assert [rows[i].original_name for i in ids] == ["一.jpg", "二.jpg", "三.jpg"]
    assert [rows[i].sha256 for i in ids] == [hashlib.sha256(u.data).hexdigest() for u in uploads]
    served = tmp_path / rows[ids[0]].stored_name
    pending = [attachments.pending_dir(tmp_path) / rows[i].stored_name for i in ids[1:]]
    assert served.is_file() and all(p.is_file() for p in pending)
    session.rollback()
    assert not served.exists() and not any(p.exists() for p in pending)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_photo_only_check_refuses_a_pdf_by_its_name():
    pdf = attachments.Upload("会议纪要.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF", 1024 * 1024)
    assert attachments.check(pdf).mime == "application/pdf"
    with pytest.raises(attachments.DomainError) as err:
        attachments.check(pdf, photo=True)
    assert "会议纪要.pdf" in str(err.value) and err.value.field == "photos"


def test_a_checked_photo_is_re_encoded_without_its_metadata():
    checked = attachments.check(attachments.Upload("花园.jpg", photo(1200, 900), 5 * 1024 * 1024))
    with Image.open(io.BytesIO(checked.data)) as stored:
        assert checked.mime == "image/jpeg" and not stored.getexif()


def _noisy(fmt: str) -> bytes:
    """A photo whose picture data is long enough to be cut in the middle of its scan."""
    out = io.BytesIO()
    Image.frombytes("RGB", (320, 240), bytes((i * 7919) % 251 for i in range(320 * 240 * 3))).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("clean_later", [False, True])
def test_a_photo_cut_short_is_refused_even_after_weasyprint_is_imported(fmt, clean_later):
    import weasyprint  # noqa: F401  (turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # the condition under which Pillow pads a cut file with grey
    whole = _noisy(fmt)
    for cut in (whole[: len(whole) // 2], whole[:-20]):
        with pytest.raises(attachments.DomainError) as err:
            attachments.check(attachments.Upload("现场.jpg", cut, 5 * 1024 * 1024), clean_later=clean_later)
        assert ("无法读取" if fmt == "JPEG" else "内容不是这些格式") in str(err.value)
    # A whole photo passes, also with bytes after its end: a phone's motion photo appends a video,
    # whose bytes hold the JPEG's marker values too (here an end, then a start of scan).
    motion = whole + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4 + b"\xff\xd9\x10\xff\xda\x00\x0c"
    for ok in (whole, motion):
        assert attachments.check(attachments.Upload("现场.jpg", ok, 5 * 1024 * 1024), clean_later=clean_later).mime


def test_files_written_before_the_transaction_carry_their_digest_into_it(session, world, tmp_path, monkeypatch):
    """``written`` takes each file's digest with its write, before the write transaction: hashing a
    phone's photo of a few MB takes milliseconds, which the insert must not spend holding the lock."""
    uploads = [attachments.check(attachments.Upload("一.jpg", photo(40, 30), 1024 * 1024), photo=True)]
    with attachments.written(uploads, tmp_path) as files:
        assert files[0].sha256 == hashlib.sha256(uploads[0].data).hexdigest()
        monkeypatch.setattr(attachments.hashlib, "sha256", None)  # no hashing from here on
        ids = attachments.insert_checked(session, actor_id=world.resident.id, uploads=files, upload_dir=tmp_path)
    assert session.get(Attachment, ids[0]).sha256 == files[0].sha256
