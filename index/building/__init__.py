"""Building a generation: what changed, passages to Whoosh documents, the BM25F scoring arrays derived from them."""
