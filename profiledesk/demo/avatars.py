"""A handful of avatar images shared by the demo customers that have one."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

_COLOURS = ["#0d6efd", "#6f42c1", "#d63384", "#fd7e14", "#198754", "#20c997"]


def _png(colour: str) -> bytes:
    image = Image.new("RGB", (96, 96), "#f8f9fa")
    draw = ImageDraw.Draw(image)
    draw.ellipse((28, 10, 68, 50), fill=colour)  # head
    draw.ellipse((12, 56, 84, 128), fill=colour)  # shoulders
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def avatar_images_ensure() -> tuple[str, ...]:
    """Storage names of the demo avatars, written once to the private media storage."""
    names = []
    for n, colour in enumerate(_COLOURS, start=1):
        name = f"avatars/demo/avatar-{n}.png"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(_png(colour)))
        names.append(name)
    return tuple(names)
