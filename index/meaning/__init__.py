"""Meaning: the embedding model, each generation's passage vectors, the passages nearest a query, their blend with the words."""
