"""Steps every update service shares: refuse the fields it does not change (a 400 naming
the field), lock the row, and save it only once it validates."""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model

M = TypeVar("M", bound=Model)
CANNOT_CHANGE = "It cannot be changed."


def refuse_unknown(
    data: Mapping[str, Any],
    editable: Iterable[str],
    *,
    hint: str = CANNOT_CHANGE,
    hints: Mapping[str, str] | None = None,
) -> None:
    """ValidationError naming the first field of ``data`` not in ``editable``; ``hints``
    say where a field is changed instead (e.g. "Use move, sign, lose or reopen.")."""
    unknown = sorted(set(data) - set(editable))
    if unknown:
        field = unknown[0]
        raise ValidationError({field: (hints or {}).get(field, hint)})


def lock(instance: M) -> M:
    """The row again, locked for the rest of the transaction."""
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def apply(instance: M, data: Mapping[str, Any]) -> M:
    """Set the fields, validate the whole row, save it."""
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    instance.save()
    return instance
