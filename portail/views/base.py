"""What every household page shares: a logged-in guardian, and every query scoped to their household."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def guardian_of(user):
    if not user.is_authenticated:
        return None
    return getattr(user, "guardian", None)


def portal_page(section):
    """Mark a view as a page of `section` in the navigation."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            request.portal_section = section
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def guardian_required(section=None):
    """Log in first; a login with no guardian (a staff agent) gets a friendly page instead. The
    view receives `request.guardian` and `request.household`, the scope of all its queries."""

    def decorator(view):
        @login_required
        @portal_page(section)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            guardian = guardian_of(request.user)
            if guardian is None:
                return render(request, "portail/no_household.html", status=403)
            request.guardian = guardian
            request.household = guardian.household
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
