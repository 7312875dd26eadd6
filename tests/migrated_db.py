"""The migrated SQLite test database, kept between runs so that each test process need not migrate.

Migrating an empty SQLite database takes a test process longer than most test files (SQLite
rebuilds a table for most schema changes). The first process that migrates saves the result,
post-migrate rows (content types, permissions) included, under ``test-output/db/``, named by a
hash of everything that shapes it: every installed app's migration files, the models' tables,
columns and constraints, the Django and SQLite versions. Later processes copy that file into
their in-memory test database (SQLite's backup API, as Django's own parallel test runner clones
a test database) instead of migrating. Any change to a migration or a model gives a new name,
so a stale copy is never used. PostgreSQL test databases are migrated as before.
"""

import hashlib
import os
import sqlite3
from contextlib import closing
from importlib import import_module
from pathlib import Path
from unittest import mock

import django
import pytest
from django.apps import apps
from django.core import management
from django.db import connection
from django.db.migrations.loader import MigrationLoader

CACHE_DIR = Path(__file__).resolve().parent.parent / "test-output" / "db"


def schema_key() -> str:
    digest = hashlib.sha256()
    digest.update(f"{django.get_version()} {sqlite3.sqlite_version}".encode())
    for app_config in sorted(apps.get_app_configs(), key=lambda a: a.label):
        digest.update(f"app {app_config.label}".encode())
        module_name, _ = MigrationLoader.migrations_module(app_config.label)
        try:
            module = import_module(module_name) if module_name else None
        except ImportError:
            module = None
        for directory in getattr(module, "__path__", []):
            for path in sorted(Path(directory).glob("*.py")):
                digest.update(path.name.encode() + path.read_bytes())
    for model in sorted(apps.get_models(include_auto_created=True), key=lambda m: m._meta.label):
        meta = model._meta
        columns = [(f.column, f.db_type(connection), f.null) for f in meta.local_fields]
        digest.update(repr((meta.label, meta.db_table, columns, meta.constraints, meta.indexes)).encode())
    return digest.hexdigest()[:16]


def migrate_or_copy(call_command):
    """``call_command`` whose first ``migrate`` copies the saved database, or migrates and saves it."""
    state = {"done": False}

    def wrapper(name, *args, **options):
        if name != "migrate" or state["done"] or not connection.is_in_memory_db():
            return call_command(name, *args, **options)
        state["done"] = True
        saved = CACHE_DIR / f"migrated-{schema_key()}.sqlite3"
        connection.ensure_connection()
        if saved.is_file():
            with closing(sqlite3.connect(saved)) as source:
                source.backup(connection.connection)
            return None
        result = call_command(name, *args, **options)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = saved.with_suffix(f".{os.getpid()}.tmp")
        with closing(sqlite3.connect(partial)) as target:
            connection.connection.backup(target)
        partial.replace(saved)  # atomic: a process reading it sees all of it or nothing
        for old in CACHE_DIR.glob("migrated-*.sqlite3"):
            if old != saved:
                old.unlink(missing_ok=True)
        return result

    return wrapper


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Active while pytest-django creates the test database (its fixture runs after this one)."""
    if connection.vendor != "sqlite":
        yield
        return
    with mock.patch.object(management, "call_command", migrate_or_copy(management.call_command)):
        yield
