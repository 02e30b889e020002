"""Vietnamese text, numbers, dates and words: pure functions used as template filters."""
