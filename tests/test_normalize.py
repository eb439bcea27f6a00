import pytest

from faqbot.matching.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> how do I reset my password?", "how do i reset my password"),
        ("<@U123|alice> ping", "ping"),
        ("where is <#C1|general>?", "where is general"),
        ("see <#C1>", "see"),
        ("open <https://id.example.com/reset|the reset page>", "open the reset page"),
        ("open <https://vpn.example.com/setup>", "open vpn example com setup"),
        ("mail <mailto:it@example.com|it@example.com>", "mail it example com"),
        ("<!here> vpn down?", "vpn down"),
        ("<!channel> <!everyone> <!subteam^S1|@oncall> pager", "pager"),
        ("due <!date^1392734382^{date}|Feb 18, 2014>", "due feb 18 2014"),
        ("thanks :tada: :+1::skin-tone-2:", "thanks"),
        ("meet at 10:30:45", "meet at 10 30 45"),
        ("why does `git push` fail", "why does git push fail"),
        ("it crashed ```Traceback (most recent call last): boom``` help", "it crashed help"),
        ("Q&amp;A &lt;b&gt; tag", "q a b tag"),
        ("Café  RÉSUMÉ", "cafe resume"),
        ("I can’t log-in!!!", "i cant log in"),
        ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),
        ("*bold* _italic_ ~strike~", "bold italic strike"),
        ("  multiple\n\tspaces  ", "multiple spaces"),
    ],
)
def test_markup_and_text_normalise(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "<@U1>", ":wave: <!here>", "```code only```", "?!...", "<#C1> :tada:"])
def test_empty_or_markup_only_messages_normalise_to_empty(raw: str) -> None:
    assert normalize(raw) == ""


def test_normalise_is_idempotent() -> None:
    once = normalize("<@U1> Can't <https://x.example|log in> :( &amp; VPN?")
    assert normalize(once) == once
