"""The LiveCodeBench agreement corpus: programs, their problems' tests, and the oracle's verdicts."""
