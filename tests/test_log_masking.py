"""The secret part of an access link never reaches the application's logs."""

import io
import logging

from django.test import Client

from config.log_masking import MASK, mask_access_links


def test_every_access_link_is_masked_and_other_paths_are_kept():
    assert mask_access_links('"GET /calendrier/abc_DEF-123.ics HTTP/1.1" 200') == f'"GET /calendrier/{MASK}.ics HTTP/1.1" 200'
    assert mask_access_links("/activer/MTI/cw3-9f8e7d/") == f"/activer/MTI/{MASK}/"
    assert mask_access_links("Not Found: /mot-de-passe-oublie/MTI/cw3-9f8e7d/") == f"Not Found: /mot-de-passe-oublie/MTI/{MASK}/"
    assert mask_access_links("/compte/email/confirmer/eyJ1Ijo.xyz:1abc/") == f"/compte/email/confirmer/{MASK}/"
    for kept in ("/mot-de-passe-oublie/envoye/", "/mot-de-passe-oublie/", "/reservations/semaine/2026-11-16/", "/foyer/calendrier/"):
        assert mask_access_links(kept) == kept


def test_a_refused_calendar_token_is_logged_masked(db):
    """A 404 on a feed URL (django.request) and runserver's request line (django.server) go
    through the configured console handler, which masks the token."""
    console = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    token = "t0k3n-s3cr3t-value"
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        Client().get(f"/calendrier/{token}.ics")
        logging.getLogger("django.server").info('"GET /calendrier/%s.ics HTTP/1.1" 200 512', token)
    finally:
        console.setStream(previous)
    written = stream.getvalue()
    assert "/calendrier/" in written and token not in written
    assert f"/calendrier/{MASK}.ics" in written
