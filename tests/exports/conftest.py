import pytest


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test's export files in a folder of its own (the default storage is private)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
