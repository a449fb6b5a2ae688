"""A trigram index for name search (customers/selectors.py: `search_name LIKE %word%`).

A b-tree cannot serve a "contains" search: without this, every name search reads each of
the staff member's clients' customers. PostgreSQL's pg_trgm GIN index answers LIKE
'%word%' directly. pg_trgm is a trusted extension (PostgreSQL 13+), so the database's
owner may create it. SQLite (the demo) has no such index and needs none at its size.
"""

from django.db import migrations

INDEX = "customer_search_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer "
        "USING gin (search_name gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_history_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
