"""The pages the law requires, open to everyone (logged in or not), linked from every footer."""

from django.shortcuts import render

from core.services.public_pages import page_html, public_page_get
from portail.navigation import site_map


def public_page(request, slug):
    page = public_page_get(slug=slug)
    context = {"page": page, "body": page_html(page)}
    if slug == page.Slug.SITEMAP:
        context["site_map"] = site_map(logged_in=request.user.is_authenticated)
    return render(request, "portail/public_page.html", context)
