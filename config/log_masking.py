"""Keep the secrets of access links out of the application's logs.

Django logs the path of requests it serves (runserver's ``django.server``) and of the ones that
fail (``django.request``: « Not Found: /calendrier/… »). Some paths are keys: the calendar feed's
token, the activation, password-reset and email-change links. The filter replaces the secret
part with « [masqué] » in every record the console handler writes.
"""

import logging
import re

MASK = "[masqué]"

# (prefix kept, secret, suffix kept): the portal's URL patterns that carry a secret.
_SECRET_PATHS = re.compile(
    r"(?P<keep>/calendrier/)[^/\s\"'?]+(?=\.ics)"
    r"|(?P<keep2>/(?:activer|mot-de-passe-oublie)/[^/\s\"'?]+/)(?!envoye/)[^/\s\"'?]+(?=/)"
    r"|(?P<keep3>/compte/email/confirmer/)[^/\s\"'?]+"
)


def mask_access_links(text: str) -> str:
    """`text` with the secret part of every access link replaced by « [masqué] »."""
    return _SECRET_PATHS.sub(lambda m: (m["keep"] or m["keep2"] or m["keep3"]) + MASK, text)


class MaskAccessLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_access_links(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
