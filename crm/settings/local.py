"""`make run`: what users see, on one machine. DEBUG off, plain HTTP, SQLite.

A hidden or missing record gets the app's own 404 page and a server error its
500 page (the traceback goes to the console through the `django.request`
logger), exactly as in production; but no TLS proxy is assumed and no secret
has to be provided: the key is generated on first start and kept in an
ignored file.
"""

import os
import secrets
from pathlib import Path

from .base import *  # noqa: F403


def read_or_create_secret_key(path: Path) -> str:
    """The key stored at path, generated on first use.

    Several gunicorn workers may start at once: the key is written to a private
    temporary file and then hard-linked into place, which fails for every
    process but the first, so all of them end up reading the same key.
    """
    if not path.exists():
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or read_or_create_secret_key(
    Path(os.environ.get("CRM_SECRET_KEY_FILE") or BASE_DIR / ".secret_key")  # noqa: F405
)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *ALLOWED_HOSTS]  # noqa: F405

# WhiteNoise serves the files straight from the app and static/ folders, so
# there is no collectstatic step to forget or to go stale.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
