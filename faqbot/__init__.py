"""faqbot: a Slack FAQ bot that matches questions with a Siamese LSTM and rapidfuzz."""
