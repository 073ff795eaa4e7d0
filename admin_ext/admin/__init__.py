from admin_ext.admin import accounts, activities, billing, bookings, emails, households, news, organisation, payments  # noqa: F401
