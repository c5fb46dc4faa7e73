"""The engine: async runner, run store, scorer, shared cache, resume."""
