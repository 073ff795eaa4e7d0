from django.contrib import admin

from admin_ext.admin import accounts, activities, billing, bookings, caterer_orders, emails, households, messages, news, notices, organisation, payments, public_pages  # noqa: F401

# unfold's own admin/index.html comes first in the template search (its app is listed before
# admin_ext); point the site at our dashboard template instead of shadowing by app order.
admin.site.index_template = "admin_ext/dashboard.html"
admin.site.index_title = "Tableau de bord"
