"""Greetings and thanks: social messages that deserve a friendly word, not three FAQ entries.

Only whole messages made of these words count ("hi", "thanks a lot!", "good morning team"),
so "hi, how do I reset my password" is still a question.
"""

from __future__ import annotations

GREETING = frozenset("hi hey hello hallo hiya yo howdy morning afternoon evening good gm all there team folks everyone "
                     "guys people bot faqbot".split())
THANKS = frozenset("thanks thank you thx ty tysm cheers much a lot so very great perfect awesome cool nice ok okay "
                   "got it appreciated appreciate that helped works worked".split())
# A message counts only when it carries one of these; the words above merely may accompany it.
_GREETING_CORE = frozenset("hi hey hello hallo hiya yo howdy morning gm".split())
_THANKS_CORE = frozenset("thanks thank thx ty tysm cheers appreciated appreciate".split())


def small_talk(normalized: str) -> str | None:
    """"greeting" or "thanks" when the normalised message is only that, else None."""
    words = set(normalized.split())
    if not words:
        return None
    if words & _THANKS_CORE and words <= THANKS | GREETING:
        return "thanks"
    if words & _GREETING_CORE and words <= GREETING:
        return "greeting"
    return None
