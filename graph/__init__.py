"""The graph: its model, its stores and its analyses."""
