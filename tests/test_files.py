"""profiledesk.files.sniff_type: an upload's type is what its bytes are, whatever name
or content type the sender gives it (inbound e-mail keeps only what it names)."""

import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from profiledesk.files import sniff_type


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, format=kind)
    return buffer.getvalue()


def test_pdf_jpeg_and_png_are_named_by_their_bytes():
    assert sniff_type(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff_type(image_bytes("JPEG")) == "image/jpeg"
    assert sniff_type(image_bytes("PNG")) == "image/png"


def test_other_images_are_not_named():
    assert sniff_type(image_bytes("GIF")) is None
    assert sniff_type(image_bytes("BMP")) is None


def test_a_damaged_image_and_a_script_with_a_png_name_are_not_named():
    png = image_bytes("PNG")
    assert sniff_type(png[:20]) is None  # the header alone, truncated
    assert sniff_type(b"#!/bin/sh\nrm -rf /\n") is None
    assert sniff_type(b"<html><script>alert(1)</script></html>") is None


@given(st.binary(max_size=512).filter(lambda b: not b.startswith(b"%PDF-")))
def test_random_bytes_are_never_named_an_image_without_decoding_as_one(content):
    named = sniff_type(content)
    if named is not None:  # only bytes Pillow verifies as a JPEG or PNG
        with Image.open(io.BytesIO(content)) as image:
            assert image.format in ("JPEG", "PNG")
