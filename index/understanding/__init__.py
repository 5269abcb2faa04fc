"""Understanding a reader's query: words to index terms, the query's parts, its plan (synonyms, corrections), the question type it asks, the topics it names."""
