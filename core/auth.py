"""Authentication backend: Django's, loading the user's guardian with the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class GuardianModelBackend(ModelBackend):
    """Every portal request needs the logged-in parent's guardian and household: one query for the
    three instead of three on each request."""

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("guardian__household").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
