import secrets

from django.db import connection, models


class ReferenceVersion(models.Model):
    """One row: the version of the data staff change rarely (school years, closures, activities,
    deadline rules, tariffs, quotient brackets). Every save or delete of such a row draws a new
    random token in the same transaction (`core.apps` connects the signals), so that a web process
    that read the data under a token knows it is still current as long as the token is unchanged.
    A random token rather than a counter: a rolled-back change never reuses a token that another
    transaction then commits with other data."""

    token = models.CharField("version", max_length=32)
    changed_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "version des données de référence"
        verbose_name_plural = "versions des données de référence"

    def __str__(self):
        return self.token

    @classmethod
    def bump(cls):
        token = secrets.token_hex(16)
        if not cls.objects.filter(pk=1).update(token=token):
            cls.objects.create(pk=1, token=token)
        return token

    @classmethod
    def current_token(cls):
        """The committed (or this transaction's) token, in one bare query; None when no row."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {cls._meta.db_table} WHERE id = 1")
            row = cursor.fetchone()
        return row[0] if row else None
