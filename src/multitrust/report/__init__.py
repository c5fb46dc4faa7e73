"""Report layer: turn task scores into sub-aspect / aspect / overall scores and place them on the leaderboard.

It imports only ``multitrust.core`` (plus numpy/scipy/stdlib) so a report can be rebuilt from stored
scores without loading tasks, models or data.
"""
