"""kb: a searchable knowledge base of health articles."""
