"""The App Home tab, drawn for one user: everyone sees how to ask and the topics; admins
first see the proposals to review, last week's stats, the questions the FAQ missed and
the entries nobody has reviewed for a while.
Published when the tab opens and again after an admin acts on a proposal."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from faqbot.insights.freshness import stale_entries
from faqbot.insights.report import DEFAULT_PERIOD, since, stats, unanswered_groups
from faqbot.slack import views
from faqbot.slack.blocks import context
from faqbot.slack.proposal_views import review_blocks
from faqbot.slack.services import Services
from faqbot.store.interface import PENDING

PENDING_COUNTED = 1000  # "N waiting" counts up to this many


def publish(client: WebClient, services: Services, user: str, notice: str | None = None) -> None:
    """Draw `user`'s Home tab; `notice`: what became of their last action, shown on top."""
    faq = services.matcher.faq
    admin_sections = []
    if services.admins.is_admin(client, user):
        start = since(DEFAULT_PERIOD)
        pending = services.store.proposals((PENDING,), PENDING_COUNTED)
        groups = unanswered_groups(services.store, start, services.matcher.encoder)
        admin_sections = [*([context(notice)] if notice else []),
                          *review_blocks(pending, len(pending), faq),
                          *views.stats_blocks(stats(services.store, start), faq, DEFAULT_PERIOD),
                          *views.unanswered_blocks(groups, DEFAULT_PERIOD),
                          *views.stale_blocks(stale_entries(faq, datetime.now(UTC).date(), services.stale_days),
                                              services.stale_days, len(faq))]
    client.views_publish(user_id=user, view=views.home_view(faq, admin_sections))
