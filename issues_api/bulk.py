"""Rows named by a pair of columns, read or created for a whole batch at once."""

from collections.abc import Callable

from django.db.models import Model


def rows_for_pairs(
    model: type[Model],
    fields: tuple[str, str],
    keys: set[tuple],
    make: Callable[..., Model],
) -> tuple[dict[tuple, Model], list[tuple]]:
    """The rows of `model` whose two `fields` hold the `keys` pairs, those missing made by
    `make(a, b)` and inserted: in at most three queries whatever the number of keys.

    The missing rows go in key order and skip one another transaction inserts at the same
    moment (ignore_conflicts), so that two writers wait for each other in one order and never
    deadlock. Returns the rows by pair (the read may bring other pairs of the same values
    too) and the pairs that were missing."""
    first, second = fields

    def read() -> dict[tuple, Model]:
        rows = model.objects.filter(
            **{
                f"{first}__in": {a for a, _ in keys},
                f"{second}__in": {b for _, b in keys},
            }
        )
        return {(getattr(row, first), getattr(row, second)): row for row in rows}

    if not keys:
        return {}, []
    found = read()
    missing = sorted(keys - found.keys())
    if not missing:
        return found, []
    model.objects.bulk_create([make(a, b) for a, b in missing], ignore_conflicts=True)
    return read(), missing
