"""faqbot on Slack: a Bolt app (app.py), its listeners by surface, Block Kit builders, and
the servers for HTTP and Socket Mode. Nothing here knows how questions are matched."""
