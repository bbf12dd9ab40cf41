"""Analyses over the graph that SPARQL alone does poorly (ownership, 50 percent rule)."""
