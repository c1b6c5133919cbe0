"""One e-mail address belongs to at most one account, whatever its case (issue 12.6 and 12.10).

Unit admins add people by e-mail and notices go there, so an address must not be claimed by a second
account (a partner's user, a sign-up). auth.User is Django's model, so the rule is an index created here:
unique on UPPER(email), as Django's `email__iexact` compares, among non-empty addresses (accounts without a
confirmed address keep ""). The same SQL works on PostgreSQL and SQLite. It fails on a database that already
holds duplicates: resolve those first
(`SELECT UPPER(email), COUNT(*) FROM auth_user WHERE email <> '' GROUP BY 1 HAVING COUNT(*) > 1`).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            sql="CREATE UNIQUE INDEX accounts_user_email_ci_unique ON auth_user (UPPER(email)) WHERE email <> ''",
            reverse_sql="DROP INDEX accounts_user_email_ci_unique",
        )
    ]
