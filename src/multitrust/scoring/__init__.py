"""Evaluators (rules, LLM judges, classifiers), metrics and keyword lists."""
