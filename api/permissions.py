from rest_framework.permissions import IsAuthenticated


class HasScope(IsAuthenticated):
    pass
