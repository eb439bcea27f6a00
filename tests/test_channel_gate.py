import pytest

from faqbot.matching.channel_gate import looks_like_question


@pytest.mark.parametrize("text", [
    "How do I reset my password",
    "vpn down?",
    "anyone know where the wifi password is",
    "Is there a way to book a room?",
    "I need a new laptop charger",
    "<@U123> can you help me with expenses",
    "what's the guest wifi",
    "payroll question? :thinking_face:",
])
def test_questions(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize("text", [
    "thanks!",
    "lunch?",  # one word: too little to match on
    "deployed the vpn fix to prod",
    "password reset worked, thanks",
    "see https://example.com/search?q=vpn for details",
    ":tada: :tada:",
    "",
])
def test_not_questions(text: str) -> None:
    assert not looks_like_question(text)
