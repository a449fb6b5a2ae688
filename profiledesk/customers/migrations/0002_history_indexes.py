"""Indexes for the history pages (audit/history.py) on every historical profile table.

- (customer_id, history_date, history_id): a customer's versions newest first, a keyset
  page at a time (one index range scan per table in the UNION ALL);
- (id, history_date, history_id): the version before a given one of the same row.

django-simple-history builds the historical models' Meta itself and has no option for
indexes of our own, so they are created here in SQL that SQLite and PostgreSQL both
accept; the model state is unchanged, so `makemigrations --check` stays clean.
"""

from django.db import migrations

# (table, column naming the customer): the customer's own table is keyed by `id`.
TABLES = [
    ("customers_historicalcustomer", "id"),
    ("customers_historicalpersonaldetails", "customer_id"),
    ("customers_historicalemailaddress", "customer_id"),
    ("customers_historicalphonenumber", "customer_id"),
    ("customers_historicalpostaladdress", "customer_id"),
    ("customers_historicalsecuritysettings", "customer_id"),
    ("customers_historicalsecurityquestion", "customer_id"),
    ("customers_historicalpreferences", "customer_id"),
    ("customers_historicallinkedaccount", "customer_id"),
    ("customers_historicalpaymentcard", "customer_id"),
    ("customers_historicalbankaccount", "customer_id"),
    ("customers_historicallanguageregion", "customer_id"),
    ("customers_historicalorganisation", "customer_id"),
    ("customers_historicalavatar", "customer_id"),
]


def _short(table: str) -> str:
    return table.removeprefix("customers_historical")[:16]


def _operations():
    for table, customer in TABLES:
        by_customer = f"hist_{_short(table)}_cust"
        by_row = f"hist_{_short(table)}_row"
        yield migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {by_customer} "
            f"ON {table} ({customer}, history_date, history_id)",
            f"DROP INDEX IF EXISTS {by_customer}",
        )
        if customer != "id":
            yield migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {by_row} ON {table} (id, history_date, history_id)",
                f"DROP INDEX IF EXISTS {by_row}",
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = list(_operations())
