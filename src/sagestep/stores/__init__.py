"""Object store, config registry, and the shared SQLite helpers."""
