"""Database expressions shared by the services (which keep caches) and the reports."""

from django.db.models import DateField, F, Func


class LocalDate(Func):
    """The calendar date of a datetime in the time zone named by another expression,
    usually the owner's team's ``timezone`` column, so one pass serves every team."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: (instant AT TIME ZONE 'Europe/Berlin')::date
        return super().as_sql(
            compiler,
            connection,
            template="((%(expressions)s))::date",
            arg_joiner=" AT TIME ZONE ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's own SQLite function behind TruncDate, given the zone as an argument.
        sql, params = super().as_sql(
            compiler,
            connection,
            template="django_datetime_cast_date(%(expressions)s, %%s)",
            **extra_context,
        )
        return sql, (*params, connection.timezone_name)


def local_date(field: str, owner_field: str) -> LocalDate:
    """The local day of ``field`` in the time zone of the team of ``owner_field``."""
    return LocalDate(F(field), F(f"{owner_field}__profile__team__timezone"))
