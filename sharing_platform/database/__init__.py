"""Database guards that hold below the ORM: append-only triggers and the application's restricted role."""
