"""Reading a stored payload: it is the SDK's JSON as received, so any value may have any
type, and the documents take what has the type they show and leave the rest."""


def as_text(value) -> str | None:
    """The value as text; None for a missing or empty one."""
    return None if value is None or value == "" else str(value)


def as_dict(value) -> dict | None:
    """The value if it is an object, else None."""
    return value if isinstance(value, dict) else None


def as_list(value) -> list:
    """The value if it is an array, else an empty one."""
    return value if isinstance(value, list) else []
