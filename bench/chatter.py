"""The chatter protocol: off-topic and social messages asked in a channel; how many get a public answer?
And the other side: how many typos and paraphrases of the sample FAQ still do.

A channel bot is judged by its unasked replies. The messages are everyday channel chatter
(written here) and utterances of intent sets whose domains are unlike an office FAQ's
(music, weather, flights, recipes, trivia; `../shared/data/train`). Each goes through what
the bot does in a channel: the question gate, then the channel bar. Prints JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import click

from bench.protocols import DATA
from faqbot.cli.pipeline import build_matcher, settings
from faqbot.matching.channel_gate import looks_like_question
from recipes.train_data import atis, hwu64, snips

PER_INTENT = 8  # the first utterances of each intent, in file order
# hwu64 scenarios far from an office FAQ (email, calendar and lists are left out: they overlap).
HWU_SCENARIOS = ("music", "weather", "cooking", "play", "audio", "iot", "transport", "takeaway",
                 "recommendation", "datetime", "general", "qa", "news", "social", "alarm")
CHATTER = """\
anyone up for coffee?
what should I do now?
how do I change it?
lunch at 12?
who's coming to the offsite?
did anyone see the game last night?
happy friday everyone!
thanks!
thanks a lot, that worked
hi
hello team
good morning!
brb
lol
nice one
great job on the launch 🎉
can you review my PR?
anyone know a good pizza place nearby?
is it raining outside?
what time is the all hands?
how was your weekend?
does anyone have a phone charger I can borrow?
who took my stapler?
is the kitchen out of oat milk again?
where are we going for the team dinner?
how do I make sourdough bread?
what is the airspeed velocity of an unladen swallow?
should we order thai or indian tonight?
any recommendations for a podcast?
can someone water the plants while I'm away?
is anyone else hearing that construction noise?
why is the sky blue?
how tall is the eiffel tower?
I need a vacation lol
does anyone want to play ping pong?
happy birthday Sam!
who is bringing cake?
how do I get to the beach from here?
please do not reset my password, I want to know how expenses get approved by finance and who signs off on them
I can't believe it's already december
what are you all doing for the holidays?
is the parking lot full?
how do I cook rice without a rice cooker?
what's the wifi like at the coffee shop downstairs?
which movie should we watch on friday?
can anyone recommend a good book?
how many people are coming to the party?
where did you get that hoodie?
anyone going to the gym after work?
is there a fire drill today?
""".splitlines()


# Typos and paraphrases of the sample FAQ's questions: these should still be answered in a channel.
IN_SCOPE = {
    "how do i reset my pasword": "reset-password",
    "I forgot my password, how do I get a new one?": "reset-password",
    "how do I set up mfa on my new phone?": "mfa-new-phone",
    "my account is locked, what do I do?": "account-locked",
    "how do i get acess to staging?": "staging-access",
    "how do I deploy to prod?": "deploy-production",
    "how do I submit an expense report?": "submit-expense",
    "what is the per diem for meals when travelling?": "per-diem-travel-meals",
    "when will I get reimbursed for my expenses?": "reimbursement-timing",
    "how do I request pto?": "request-pto",
    "what's the parental leave policy?": "parental-leave",
    "where can I find my payslip?": "payslip",
    "how do i set up the vpn?": "vpn-setup",
    "why is my vpn not connecting?": "vpn-not-connecting",
    "how do I request a new laptop?": "new-laptop-request",
    "how do I connect to the office wifi?": "office-wifi",
    "who is on call right now?": "who-is-on-call",
    "how do i swap an on call shift?": "swap-on-call",
    "how do I declare an incident?": "declare-incident",
    "where is the postmortem template?": "postmortem-template",
    "how do I create a new slack channel?": "create-channel",
    "when is it ok to use @here?": "here-channel-rules",
}


def dataset_chatter(data: Path) -> list[str]:
    """The first PER_INTENT utterances of each far-off intent (hwu64 scenarios, snips, atis)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    rows = [(t, label) for t, label in hwu64(data / "train" / "hwu64")
            if label.split(":")[1].split("_")[0] in HWU_SCENARIOS]
    rows += list(snips(data / "train" / "snips")) + list(atis(data / "train" / "atis"))
    for text, label in rows:
        if len(by_intent[label]) < PER_INTENT and text not in by_intent[label]:
            by_intent[label].append(text)
    return [t for texts in by_intent.values() for t in texts]


@click.command()
@click.option("--data", type=click.Path(path_type=Path), default=DATA, show_default=True)
def main(data: Path) -> None:
    """Ask every chatter message in a channel of the sample FAQ's bot; print what got answered."""
    matcher = build_matcher(settings())
    sets = {"written": CHATTER, "intent sets": dataset_chatter(data)}
    result = {}
    for name, texts in sets.items():
        gated = [t for t in texts if looks_like_question(t)]
        answered = [(t, m.entry.id, round(m.confidence, 3)) for t in gated
                    if (m := matcher.match(t, "channel")).entry is not None]
        result[name] = {"messages": len(texts), "look_like_questions": len(gated), "public_answers": len(answered),
                        "answered": answered}
    matches = {t: matcher.match(t, "channel") for t in IN_SCOPE}
    right = [t for t, m in matches.items() if m.entry is not None and m.entry.id == IN_SCOPE[t]]
    wrong = [(t, m.entry.id) for t, m in matches.items() if m.entry is not None and m.entry.id != IN_SCOPE[t]]
    in_scope = {"questions": len(IN_SCOPE), "answered_right": len(right), "answered_wrong": wrong,
                "quiet": [t for t, m in matches.items() if m.entry is None]}
    total = sum(r["messages"] for r in result.values())
    public = sum(r["public_answers"] for r in result.values())
    result["total"] = {"messages": total, "public_answers": public, "rate": public / total,
                       "channel_bar": matcher.calibration.channel}
    result["in_scope"] = in_scope
    click.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
