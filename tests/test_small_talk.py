"""Greetings and thanks are recognised only as whole messages."""

import pytest

from faqbot.matching.normalize import normalize
from faqbot.matching.small_talk import small_talk


@pytest.mark.parametrize("text", ["hi", "Hey!", "hello there", "Good morning team :wave:", "gm all", "hi <@U123>",
                                  "Howdy folks", "hello faqbot"])
def test_greetings(text: str) -> None:
    assert small_talk(normalize(text)) == "greeting"


@pytest.mark.parametrize("text", ["thanks!", "Thank you so much", "thx", "ty!", "cheers, that helped",
                                  "thanks everyone", "Thanks a lot, it worked :tada:", "hi, thanks!",
                                  "much appreciated", "ok thanks"])
def test_thanks(text: str) -> None:
    assert small_talk(normalize(text)) == "thanks"


@pytest.mark.parametrize("text", [
    "hi, how do I reset my password?",  # a greeting before a question is a question
    "thanks, but the vpn still drops",
    "no thanks",
    "ok", "cool", "great", "good",  # words that may accompany a greeting or thanks, alone
    "thank god it's friday and the build is green",
    "hello world program in python",
    "", "<@U123>",
])
def test_questions_and_other_messages_are_not_small_talk(text: str) -> None:
    assert small_talk(normalize(text)) is None
