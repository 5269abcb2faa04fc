"""Ranking: the pool a query finds (BM25F in numpy, meaning), re-ranked, answerless passages placed, marked, made into hits."""
