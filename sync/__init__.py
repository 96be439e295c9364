"""sync package (see DESIGN.md)."""
