"""The document spec: its YAML loader (with line marks) and its validated models."""
