"""The FAQ: its schema, loading and validating the YAML files, and hot reload."""
