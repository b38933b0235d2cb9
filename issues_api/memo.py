"""What a pure function made of rows read as text, kept per process by that text.

A document built from rows depends on nothing but their values: when a later request reads
the same values (the same text of the same columns), what was built for the earlier one is
the answer again, and building it again is the cost of most reads. The key is the rows'
values themselves, never an id, so a row that changed is a new key and shows as it is now:
nothing here can be stale, and nothing has to be invalidated. What is kept is bounded by the
number of entries and by the text of their keys; when a new entry would pass either bound,
everything kept goes and the memo starts again (a request never pays more than one build per
entry it shows).
"""

from collections.abc import Callable, Hashable


class TextMemo:
    """A bounded map from rows' values (a hashable key) to what was built of them."""

    def __init__(self, *, entries: int, text: int, size_of: Callable[[Hashable], int]):
        self.entries = entries
        self.text = text
        self.size_of = size_of
        self._kept: dict[Hashable, object] = {}
        self._text = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(
        self,
        key: Hashable,
        make: Callable[[], object],
        *,
        fresh: Callable[[object], bool] | None = None,
    ):
        """What `make()` built for `key`, built now if nothing is kept for it, or if what is
        kept no longer holds (`fresh` says whether it does: for what also depends on the
        time). What a new entry adds to the text kept is `size_of(key)` (its characters)."""
        found = self._kept.get(key, self)
        if found is not self:
            if fresh is None or fresh(found):
                return found
            value = self._kept[key] = make()
            return value
        value = make()
        size = self.size_of(key)
        if len(self._kept) >= self.entries or self._text + size > self.text:
            self._kept.clear()
            self._text = 0
        self._kept[key] = value
        self._text += size
        return value

    def clear(self) -> None:
        self._kept.clear()
        self._text = 0
