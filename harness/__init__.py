"""Core of elastic-bench: budgets, budgeted generation, sweeps, grading, metrics, results, CLI."""
