"""Forms with uploads are parsed by grants.formdata: what a view gets equals what werkzeug's own
parser gives, its limits hold (413), and a broken body changes nothing."""

from __future__ import annotations

import io

import pytest
from werkzeug.formparser import FormDataParser
from werkzeug.test import EnvironBuilder

from grants.formdata import PlatformRequest, PushFormDataParser

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # bytes with every value, \r and \n included


def _body(data: dict) -> tuple[bytes, str]:
    environ = EnvironBuilder(method="POST", data=data).get_environ()
    return environ["wsgi.input"].read(), environ["CONTENT_TYPE"]


def _parsed(parser_class, body: bytes, content_type: str):
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    parser = parser_class(max_form_memory_size=500_000, max_form_parts=1000)
    _stream, form, files = parser.parse_from_environ(environ)
    return (
        list(form.items(multi=True)),
        [(name, f.filename, f.content_type, f.read()) for name, f in files.items(multi=True)],
    )


@pytest.mark.parametrize(
    "data",
    [
        {"title": "楼道微花园", "kind": "service", "volunteer_member": ["12", "13"], "volunteer_hours": ["1.5", "2"]},
        {"note": "第一行\r\n第二行\n\r\n", "empty": "", "photos": (io.BytesIO(PHOTO), "活动 照片.jpg", "image/jpeg")},
        {
            "photos": [
                (io.BytesIO(PHOTO), "a.jpg", "image/jpeg"),
                (io.BytesIO(b"%PDF-1.4 ... %%EOF"), "预算.pdf", "application/pdf"),
                (io.BytesIO(b""), "", "application/octet-stream"),  # a file input left empty
            ],
            "title": "x",
        },
        {"big": (io.BytesIO(PHOTO * 30), "big.jpg", "image/jpeg")},  # over 500 KB: spooled to disk
    ],
)
def test_the_same_form_and_files_as_werkzeugs_parser(data):
    body, content_type = _body(data)
    assert _parsed(PushFormDataParser, body, content_type) == _parsed(FormDataParser, body, content_type)


def test_a_fields_declared_charset_is_used_when_it_is_a_safe_one():
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="latin"\r\n'
            "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        ).encode()
        + "café".encode("iso-8859-1")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    form, _files = _parsed(PushFormDataParser, body, f"multipart/form-data; boundary={boundary}")
    assert form == [("latin", "café")]


@pytest.mark.parametrize(
    "body",
    [
        b'--b0undary\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',  # cut short
        b"no multipart here at all",
        b"",
    ],
)
def test_a_broken_body_gives_an_empty_form(body):
    assert _parsed(PushFormDataParser, body, "multipart/form-data; boundary=b0undary") == ([], [])


def test_the_app_parses_with_it(app):
    assert app.request_class is PlatformRequest


def test_more_parts_than_allowed_get_the_friendly_413(app, client):
    app.config["MAX_FORM_PARTS"] = 5
    data = {f"field{i}": "x" for i in range(6)} | {"photo": (io.BytesIO(PHOTO), "a.jpg", "image/jpeg")}
    response = client.post("/login", data=data)
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)


def test_a_text_field_over_the_memory_limit_gets_the_friendly_413(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    response = client.post("/login", data={"login": "x" * 2000, "photo": (io.BytesIO(PHOTO), "a.jpg", "image/jpeg")})
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)
