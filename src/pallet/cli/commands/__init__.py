"""One module per area of commands."""
