"""Does a channel message look like a question? In busy channels the bot speaks only then.

A cheap, conservative test on the normalised words and the raw punctuation: a question
mark, or a sentence that opens the way questions and requests for help open. Chatter
("thanks!", "deployed the vpn fix") stays unanswered even when it happens to match an entry.
"""

from __future__ import annotations

import re

from faqbot.matching.normalize import normalize

# First words of questions and of requests for help, after normalisation (no apostrophes).
_OPENERS = frozenset(
    """how what whats why where wheres when who whom whose which can cant could couldnt
    is isnt are arent am do dont does doesnt did didnt should shouldnt would wouldnt will
    wont shall may might has hasnt have havent had anyone anybody someone somebody any
    help""".split()
)
# Openers that ask only together with the next word: "i need ...", "is there ...".
_PHRASES = ("i need", "i cant", "i cannot", "i forgot", "i lost", "im trying", "im looking for",
            "i want to know", "i wonder", "wondering", "looking for", "need help", "does anyone",
            "not sure how", "where can i", "trying to")
_QUESTION_MARK = re.compile(r"\?\s*(?:$|[\s:<)])")
MIN_WORDS = 2


def looks_like_question(text: str) -> bool:
    """True for messages such as "how do I reset my password" or "vpn down?"."""
    words = normalize(text)
    if len(words.split()) < MIN_WORDS:
        return False
    if _QUESTION_MARK.search(text):
        return True
    first = words.split()[0]
    return first in _OPENERS or any(words == p or words.startswith(p + " ") for p in _PHRASES)
