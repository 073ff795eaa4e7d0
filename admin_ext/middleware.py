from django.conf import settings
from django.urls import reverse


class AdminContentSecurityPolicyMiddleware:
    """Give the admin pages their own Content-Security-Policy (settings.ADMIN_CSP).

    Sits below django.middleware.csp.ContentSecurityPolicyMiddleware, which then writes this
    policy instead of SECURE_CSP; the portal keeps the strict one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(reverse("admin:index")) and not hasattr(response, "_csp_config"):
            response._csp_config = settings.ADMIN_CSP
        return response
