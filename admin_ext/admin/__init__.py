from django.contrib import admin

from admin_ext.admin import (  # noqa: F401
    absences,
    account_requests,
    accounts,
    activities,
    billing,
    bookings,
    caterer_orders,
    direct_debit,
    documents,
    emails,
    enrolment_requests,
    households,
    invoices,
    leisure,
    messages,
    news,
    notices,
    organisation,
    payments,
    public_pages,
    recovery,
    waiting_lists,
)

# unfold's own admin/index.html comes first in the template search (its app is listed before
# admin_ext); point the site at our dashboard template instead of shadowing by app order.
admin.site.index_template = "admin_ext/dashboard.html"
admin.site.index_title = "Tableau de bord"
