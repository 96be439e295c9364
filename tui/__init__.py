"""tui package (see DESIGN.md)."""
