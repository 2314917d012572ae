from rest_framework.views import exception_handler  # noqa: F401  (placeholder, replaced)
