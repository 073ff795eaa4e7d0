from admin_ext.admin import accounts, activities, bookings, emails, households, news, organisation  # noqa: F401
