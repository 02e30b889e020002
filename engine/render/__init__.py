"""The render stage: Jinja environments, .docx templates and package checks (the only XML layer)."""
