"""``python -m tests.reliability.broken_crisis_serve``: forum.serve with the
crisis stage raising on every text, as a failed model load or a bad setting
did in production. Only the tests start it."""
from __future__ import annotations

import moderation.crisis


def _broken(*_args, **_kwargs):
    raise RuntimeError("crisis stage unavailable (injected by the reliability test)")


moderation.crisis.analyse = moderation.crisis.analyse_many = _broken

if __name__ == "__main__":
    from forum.serve import main

    main()
