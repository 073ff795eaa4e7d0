from admin_ext.admin import accounts, activities, bookings, households, news, organisation  # noqa: F401
