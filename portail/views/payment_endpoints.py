"""PayFiP's server-to-server notification: unauthenticated, unsigned, so it proves nothing and
only triggers a fetch of the result from PayFiP. Always 200, whatever happens."""

import logging
import uuid

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.services.payments import payment_notify

logger = logging.getLogger("core.payments")


@csrf_exempt
@require_POST
def payment_notification(request, payment_uuid):
    try:
        payment_notify(payment_uuid=uuid.UUID(str(payment_uuid)), fields=request.POST.dict())
    except Exception:  # PayFiP must get its 200; the reconciliation job catches up
        logger.exception("PayFiP notification for %s could not be recorded", payment_uuid)
    return HttpResponse("OK", content_type="text/plain")
