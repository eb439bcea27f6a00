"""Where interactions are recorded: the interface listeners use, its SQL implementation, tables and migrations."""
