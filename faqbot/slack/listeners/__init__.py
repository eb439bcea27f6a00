"""Listener registration, grouped by Slack surface (as in Slack's bolt-python starter template)."""

from __future__ import annotations

from slack_bolt import App

from faqbot.slack.listeners import (
    actions, commands, escalation, events, functions, messages_tab, shortcuts, submissions, uninstalls,
)


def register(app: App) -> None:
    commands.register(app)
    shortcuts.register(app)
    actions.register(app)
    escalation.register(app)
    submissions.register(app)
    functions.register(app)
    uninstalls.register(app)
    messages_tab.register(app)  # before events: its app_home_opened listener takes the Home tab
    events.register(app)  # last: its message listener is the catch-all
