"""The toy task's loader rejects input it cannot honour with a one-line error."""

from __future__ import annotations

import pytest

from elastic_bench.tasks.toy.utils import load


@pytest.mark.parametrize("n", [0, -3])
def test_toy_loader_rejects_non_positive_n_problems(n: int) -> None:
    with pytest.raises(ValueError, match="n_problems must be a positive integer"):
        load(n_problems=n)
