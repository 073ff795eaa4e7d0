from admin_ext.admin import accounts, activities, billing, bookings, emails, households, news, organisation  # noqa: F401
