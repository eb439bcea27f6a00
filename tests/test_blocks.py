"""Block Kit builders against Slack's limits: section text, button labels, blocks per message."""

import json

from faqbot.faq.schema import Entry
from faqbot.slack import blocks
from faqbot.slack.blocks import ButtonValue

ENTRY = Entry(id="vpn", question="How do I connect to the VPN?", answer="Install *GlobalProtect*.")


def test_button_value_round_trips_within_slacks_limit() -> None:
    value = ButtonValue("0" * 32, "some-entry-id", "semantic match, confidence 83%", ("a" * 60, "b" * 60, "c" * 60))
    dumped = value.dump()
    assert len(dumped) <= 2000
    assert ButtonValue.load(dumped) == value


def test_answer_has_text_context_and_buttons() -> None:
    value = ButtonValue("q1", "vpn", "fuzzy match, 93%")
    message = blocks.answer(ENTRY, value, shareable=True)
    assert message[0]["text"] == {"type": "mrkdwn", "text": "Install *GlobalProtect*."}
    assert message[1]["elements"][0]["text"] == "Answering _How do I connect to the VPN?_ · fuzzy match, 93%"
    actions = [e["action_id"] for e in message[-1]["elements"]]
    assert actions == [blocks.SHARE, blocks.HELPFUL, blocks.NOT_HELPFUL]
    assert all(ButtonValue.load(e["value"]) == value for e in message[-1]["elements"])


def test_an_answer_with_a_source_links_it_under_the_answer() -> None:
    sourced = Entry(id="vpn", question="VPN?", answer="Install it.", source="https://wiki.example.com/vpn")
    about = blocks.answer(sourced, ButtonValue("q1", "vpn", "fuzzy match, 93%"))[1]
    assert about["elements"][1] == {"type": "mrkdwn", "text": "<https://wiki.example.com/vpn|Source>"}
    assert len(blocks.answer(ENTRY, ButtonValue("q1", "vpn"))[1]["elements"]) == 1


def test_how_matched_names_the_confidence_of_a_semantic_match_and_the_ratio_of_a_fuzzy_one() -> None:
    assert blocks.how_matched("semantic", 0.8349) == "semantic match, confidence 83%"
    assert blocks.how_matched("fuzzy", 0.93) == "fuzzy match, 93%"


def test_answer_after_feedback_has_a_note_and_no_rating_buttons() -> None:
    message = blocks.answer(ENTRY, ButtonValue("q1", "vpn"), feedback=False, note="Thanks — noted.")
    assert message[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Thanks — noted."}]}
    assert all(b["type"] != "actions" for b in message)


def test_long_answers_are_split_into_sections_at_line_breaks() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(100)]  # about 10,000 characters
    long = Entry(id="long", question="Long?", answer="\n".join(lines))
    sections = [b for b in blocks.answer(long, ButtonValue("q", "long")) if b["type"] == "section"]
    assert len(sections) > 3
    assert all(len(s["text"]["text"]) <= blocks.SECTION_LIMIT for s in sections)
    assert "\n".join(s["text"]["text"] for s in sections) == long.answer


def test_one_enormous_line_is_cut_to_fit() -> None:
    huge = Entry(id="huge", question="Huge?", answer="y" * 7000)
    sections = [b for b in blocks.answer(huge, ButtonValue("q", "huge")) if b["type"] == "section"]
    assert [len(s["text"]["text"]) for s in sections] == [3000, 3000, 1000]


def test_suggestion_buttons_have_unique_ids_and_clipped_labels() -> None:
    entries = [Entry(id=f"e{i}", question="A very long question " * 10, answer="a") for i in range(3)]
    message = blocks.not_sure(ButtonValue("q9", ""), entries)
    elements = message[1]["elements"]
    assert [e["action_id"] for e in elements] == [f"{blocks.SUGGESTION_PREFIX}{i}" for i in range(3)]
    assert all(len(e["text"]["text"]) <= blocks.BUTTON_LIMIT for e in elements)
    assert [json.loads(e["value"])["entry"] for e in elements] == ["e0", "e1", "e2"]


def test_not_sure_without_suggestions_points_to_the_list() -> None:
    [only] = blocks.not_sure(ButtonValue("q9", ""), [])
    assert "/faq list" in only["text"]["text"]


def test_a_huge_list_stays_within_fifty_blocks_and_says_how_many_are_left() -> None:
    entries = [Entry(id=f"entry-{i}", question=f"Question number {i} about something long enough?", answer="a")
               for i in range(4000)]
    message = blocks.entry_list(entries, None, ["hr"])
    assert len(message) <= blocks.MESSAGE_BLOCKS
    shown = sum(line.startswith("• ") for b in message if b["type"] == "section" for line in b["text"]["text"].splitlines())
    assert message[-1]["elements"][0]["text"] == f"…and {4000 - shown} more: give a tag to narrow the list."


def test_an_answer_too_long_for_one_message_is_cut_and_says_so() -> None:
    lines = [f"line {i} " + "z" * 2990 for i in range(60)]  # one section per line: 60 sections
    long = Entry(id="long", question="Long?", answer="\n".join(lines))
    message = blocks.answer(long, ButtonValue("q", "long", others=("a", "b")), note="Thanks — noted.")
    message += blocks.suggestions(ButtonValue("q", "long"), [ENTRY, ENTRY], "Maybe one of these?")
    assert len(message) <= blocks.MESSAGE_BLOCKS
    cut = [b for b in message if b["type"] == "context" and "…cut" in b["elements"][0]["text"]]
    assert len(cut) == 1 and f"{len(long.answer):,} characters" in cut[0]["elements"][0]["text"]
