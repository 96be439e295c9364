"""scanner package (see DESIGN.md)."""
