"""Models: lm-eval backends that enforce budgets, and the embedded tiny reasoner."""
