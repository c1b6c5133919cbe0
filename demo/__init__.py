"""The demo: Baotou's city platform with a year of activity (`python manage.py seed_demo`).

The top layer: it drives instruments, credit, bookings, billing and partners through their services,
as people using the platform would; nothing depends on it.
"""
