"""issues_api.memo: what a pure function made of rows, kept by their text, within bounds."""

from issues_api.memo import TextMemo


def test_a_key_seen_again_is_not_built_again():
    memo = TextMemo(entries=10, text=100, size_of=len)
    built = []

    def make(value):
        built.append(value)
        return {"value": value}

    first = memo.get(("row", "a"), lambda: make("a"))
    assert memo.get(("row", "a"), lambda: make("again")) is first
    assert memo.get(("row", "b"), lambda: make("b")) == {"value": "b"}
    assert built == ["a", "b"]


def test_a_none_value_is_kept_too():
    memo = TextMemo(entries=10, text=100, size_of=len)
    calls = []
    assert memo.get("k", lambda: calls.append(1)) is None
    assert memo.get("k", lambda: calls.append(2)) is None
    assert calls == [1]


def test_passing_the_number_of_entries_starts_again():
    memo = TextMemo(entries=3, text=100, size_of=len)
    for key in "abc":
        memo.get(key, lambda key=key: key)
    assert len(memo) == 3
    memo.get("d", lambda: "d")
    assert len(memo) == 1
    rebuilt = []
    memo.get("a", lambda: rebuilt.append("a"))
    assert rebuilt == ["a"]


def test_passing_the_text_kept_starts_again():
    memo = TextMemo(entries=100, text=10, size_of=len)
    memo.get("a" * 6, lambda: "a")
    memo.get("b" * 4, lambda: "b")
    assert len(memo) == 2
    memo.get("c", lambda: "c")
    assert len(memo) == 1
    memo.clear()
    assert len(memo) == 0
