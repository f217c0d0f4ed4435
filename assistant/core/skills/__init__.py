"""Offline skills the chatbot can carry out.

The chatbot's model decides which intent a message has; these modules act on it and read the values
(durations, list items, notes, numbers) from the sentence by rules:

- skillset.py: intent -> handler (`Skills`), the replies in resources/chatbot/replies.json, and the one
  SQLite database (`<data>/skills.sqlite3`) for timers, lists and notes;
- timers.py, lists.py, notes.py: the stores and their replies; arithmetic.py: sums in words or symbols;
- numbers.py (number words, durations) and text.py (sentence clean-up) are shared slot extraction.
"""
