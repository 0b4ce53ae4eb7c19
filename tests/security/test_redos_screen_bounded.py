"""Issue 14, finding 1 (ReDoS): ``screen()`` on any 20,000-character text
stays within 50x its time on an ordinary 300-word post, both measured in
the same run (median of a few repeats)."""
from __future__ import annotations

import statistics
import time

import pytest

import moderation

N = 20_000
POST = (
    "I have been finding the evenings really hard since I moved to the new flat. The days are fine, I go to "
    "work and I talk to people, but when I get home it is very quiet and my thoughts go round and round. "
    "My sister says I should join a class or a club, and I know she is right, but I feel so tired by the end "
    "of the day that I cannot face it. Last week I tried a short walk after dinner and it helped a bit, so I "
    "want to keep doing that. Does anyone else find that the quiet makes everything louder? I would love to "
    "hear what helps you on the hard nights, even small things like music or a podcast or a hot drink. I am "
    "seeing my GP next Tuesday and I am going to be honest with her about how low I have been feeling, "
    "which is a big step for me because I usually say everything is fine. Thank you for reading this, it "
    "already helps to write it down somewhere people understand. I hope everyone here has a gentle evening "
    "and finds a little bit of peace tonight. Writing this out has made me realise how much I have been "
    "holding in, and that I do not have to carry it all on my own every single night. Tomorrow I am going to "
    "try the evening group that meets at the library, just to sit at the back and listen for an hour. If it "
    "is too much I can leave, and that is allowed. I will let you know how it goes, and I will keep reading "
    "your posts too, because they remind me that other people get through nights like these and wake up to "
    "another morning that feels a little lighter than the last one did for them."
)
# Texts that stalled the process through a pattern (the two and the
# state pattern that went cubic), and runs of each character class the
# patterns repeat over.
ADVERSARIAL = {
    "digit run": "1" * N,
    "quantity": "1" * (N - 3) + " mg",
    "state after a signal": "i feel suicidal" + "/" * (N - 15),
    "glued words": "so" * (N // 2),
    "nested brackets": "(" * (N // 2) + ")" * (N // 2),
    "joiners": "\u00e9" + "\u200d" * (N - 2) + "\u00e9",
    "letter run after a signal": "suicidal " + "a" * (N - 9),
    "space run after a signal": "suicidal" + " " * (N - 9) + "x",
    "slash run": "/" * N,
    # The second input, and runs of joined separators that the
    # watched-word rules' spaced-letter check took seconds on.
    "digits and commas": "1," * (N // 2),
    "digits and dots": "1." * (N // 2),
    "separator run": "a.-" * (N // 3),
    "spaced letters": "f u c k " * (N // 8),
    # One signal repeated: every signal was compared with every earlier one.
    "repeated signal": ("so suicidal thoughts " * (N // 21 + 1))[:N],
}


def _median(text: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        moderation.screen(text, kind="post")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_post_fixture_is_an_ordinary_300_word_post():
    assert 280 <= len(POST.split()) <= 320


@pytest.fixture(scope="module")
def post_time() -> float:
    moderation.screen(POST, kind="post")  # models and caches loaded before timing
    return _median(POST)


@pytest.mark.parametrize("label", sorted(ADVERSARIAL))
def test_screen_is_bounded_on_adversarial_text(label, post_time):
    text = ADVERSARIAL[label]
    assert len(text) <= N
    base = post_time
    cost = _median(text, repeats=1)
    if cost > 50 * base:  # a second look, so one scheduling hiccup is not a failure
        cost = _median(text)
    assert cost <= 50 * base, f"{label}: {cost * 1000:.1f} ms against {base * 1000:.2f} ms for a 300-word post"
