"""`profiledesk.files.private_file_response`: whatever bytes a private file holds, the
browser renders it only when it is a decoded JPEG, PNG or WebP picture (or a type the
caller decoded at upload); everything else is an opaque download. Never cached, never
sniffed."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from profiledesk.files import private_file_response, sniff_image_type

HOSTILE_PREFIXES = [
    b"",
    b"<svg xmlns='http://www.w3.org/2000/svg'>",
    b"<!doctype html>",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"GIF89a",
    b"%PDF-1.7\n",
]


def _picture(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, format=fmt)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None)  # Pillow on a busy machine
@given(prefix=st.sampled_from(HOSTILE_PREFIXES), rest=st.binary(max_size=200))
def test_arbitrary_bytes_are_inline_only_when_they_decode_as_a_picture(prefix, rest):
    content = prefix + rest
    response = private_file_response(content, filename="x")
    decoded = sniff_image_type(content)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    if decoded:
        assert response["Content-Type"] == decoded
        assert response["Content-Disposition"] == 'inline; filename="x"'
    else:
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"] == 'attachment; filename="x"'


def test_real_pictures_are_inline_with_their_own_type():
    for fmt, content_type in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        response = private_file_response(_picture(fmt), filename="avatar-1")
        assert (response["Content-Type"], response["Content-Disposition"]) == (
            content_type,
            'inline; filename="avatar-1"',
        )


def test_a_gif_or_a_pdf_is_not_inline_unless_the_caller_decoded_that_type():
    gif = _picture("GIF")
    assert private_file_response(gif, filename="g")["Content-Type"] == "application/octet-stream"
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    assert private_file_response(pdf, filename="d")["Content-Disposition"].startswith("attachment")
    inline = private_file_response(pdf, filename="d", also_inline=frozenset({"application/pdf"}))
    assert inline["Content-Type"] == "application/pdf"
