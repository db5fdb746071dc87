"""Test settings: fast hashing, plain static storage, testserver allowed."""

from .dev import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_FAILURE_LIMIT = 5

# Background tasks run at once, inside the test (after the commit that
# enqueues them, see `django_capture_on_commit_callbacks`). The test runner
# swaps every mailer for the in-memory one (mail.outbox).
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
CRM_NOTIFY_EMAIL = False
