"""Storage: sessions, runs and their event logs, user memories (SQLite built in; more as plugins)."""

from runwire.storage.base import SchemaVersionError, Session, Storage, UserMemory

__all__ = ["SchemaVersionError", "Session", "Storage", "UserMemory", "resolve_storage"]


def resolve_storage(db: object) -> Storage:
    """A Storage for ``db``: a Storage, or a URL whose scheme names a registered backend."""
    if isinstance(db, Storage):
        return db
    if not isinstance(db, str) or "://" not in db:
        raise TypeError(f"db must be a Storage or a URL like 'sqlite:///runwire.db' or 'postgresql://...', got {db!r}")
    from runwire.plugins import get_registry

    scheme = db.split("://", 1)[0].split("+", 1)[0]
    factory = get_registry().storage.get(scheme)
    if factory is None:
        known = ", ".join(sorted(get_registry().storage)) or "none"
        hint = " (pip install runwire-postgres)" if scheme.startswith("postgres") else ""
        raise LookupError(f"no storage backend for {scheme}:// URLs{hint}; registered schemes: {known}")
    storage: Storage = factory(db)
    return storage
