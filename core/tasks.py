"""django-q2 task functions: they take ids and call one service."""

from core import emails


def send_email(log_id):
    return emails.send_logged_email(log_id)
