"""Classifier evaluators (toxicity, harmful content, action classes). Each records the backend it used
in every verdict, prefers the paper's backend when it is reachable (key or local weights) and otherwise
falls back to a documented offline classifier."""
