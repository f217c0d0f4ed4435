"""Face tests: photos and models come from tests/conftest.py (face_photos, face_models, photo)."""

from tests.conftest import FACE_DATA, photo  # noqa: F401  (re-exported for the face test modules)
