"""What admins learn from the records: usage, gaps in the FAQ, suggested alternates."""
