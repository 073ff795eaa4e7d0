from django.conf import settings

from portail.navigation import footer_links, navigation


def portal(request):
    """Navigation and identity shared by every portal page (templates under portail/)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "portail":
        return {}
    user = getattr(request, "user", None)
    guardian = getattr(user, "guardian", None) if user is not None and user.is_authenticated else None
    return {
        "portal_navigation": navigation(
            active=getattr(request, "portal_section", None), has_household=guardian is not None
        ),
        "portal_guardian": guardian,
        "town_name": settings.TOWN_NAME,
        "footer_links": footer_links(),
    }
