from rest_framework.authentication import BaseAuthentication


class BearerTokenAuthentication(BaseAuthentication):
    pass
