"""Presentation: Go templates, tables, rows for ps/images."""
