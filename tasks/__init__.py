"""lm-eval task configs (YAML) and their python utils; this folder is an lm-eval include path."""
