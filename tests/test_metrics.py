"""Metrics: avg@k with bootstrap CI, token statistics, AES (both conventions), AUC, paired bootstrap."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from elastic_bench.harness.analysis import (
    aes,
    auc_log_budget,
    avg_at_k,
    bootstrap_ci,
    paired_bootstrap_diff,
    per_problem_means,
    token_stats,
    tokens_per_correct,
)

# --------------------------------------------------------------------------- avg@k / bootstrap


def test_avg_at_k_is_mean_of_problem_means_with_ci():
    # 4 problems x k=2: problem means 1, 0.5, 0, 1 -> avg@2 = 2.5 / 4 = 0.625
    est = avg_at_k([[1, 1], [1, 0], [0, 0], [1, 1]])
    assert est.mean == pytest.approx(0.625)
    assert est.n_problems == 4 and est.k == 2
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0
    assert est.ci_low < est.ci_high


def test_avg_at_k_accepts_2d_1d_and_ragged():
    arr = np.array([[1, 0, 1, 1], [0, 0, 0, 1]])
    assert avg_at_k(arr).mean == pytest.approx((0.75 + 0.25) / 2)
    assert avg_at_k([0.75, 0.25]).mean == pytest.approx(0.5)
    ragged = avg_at_k([[1], [1, 0, 0, 0]])  # means 1 and 0.25
    assert ragged.mean == pytest.approx(0.625) and ragged.k == pytest.approx(2.5)


def test_bootstrap_is_seeded_and_matches_normal_approximation():
    rng = np.random.default_rng(1)
    scores = (rng.random((400, 4)) < 0.6).astype(float)
    a = avg_at_k(scores, seed=7)
    b = avg_at_k(scores, seed=7)
    assert a == b
    # percentile bootstrap ~ mean +- 1.96 * sd / sqrt(n) for a mean of 400 problems
    means = scores.mean(axis=1)
    half = 1.96 * means.std(ddof=1) / math.sqrt(means.size)
    assert a.ci_high - a.ci_low == pytest.approx(2 * half, rel=0.15)
    assert a.mean - a.ci_low == pytest.approx(half, rel=0.2)


def test_bootstrap_degenerate_cases():
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([0.3]) == (0.3, 0.3)
    with pytest.raises(ValueError, match="needs a non-empty 1-D sequence"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="every problem needs at least one sample"):
        avg_at_k([[1], []])
    with pytest.raises(ValueError, match=re.escape("scores must lie in [0, 1]")):
        avg_at_k([1.5, 0.0])


def test_bootstrap_handles_large_inputs_in_chunks():
    values = np.tile([0.0, 1.0], 5000)  # 10k problems: 2000 x 10k indices is chunked
    lo, hi = bootstrap_ci(values, n_resamples=500)
    assert lo < 0.5 < hi and hi - lo < 0.03


def test_per_problem_means_rejects_nan_and_3d():
    with pytest.raises(ValueError, match="scores must be finite"):
        per_problem_means([float("nan"), 1.0])
    with pytest.raises(ValueError, match="scores must be 1-D or 2-D, got 3-D"):
        per_problem_means(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------- tokens


def test_token_stats_and_tokens_per_correct():
    stats = token_stats(
        total_tokens=[100, 200, 300, 400],
        correct=[1, 0, 1, 0],
        think_tokens=[80, 180, 250, 390],
        answer_tokens=[20, 20, 50, 10],
        think_truncated=[0, 1, 0, 1],
        answer_truncated=[0, 0, 0, 1],
        no_answer=[0, 0, 0, 1],
    )
    assert stats.mean_total_tokens == 250
    assert stats.mean_think_tokens == 225 and stats.mean_answer_tokens == 25
    assert stats.think_truncation_rate == 0.5 and stats.answer_truncation_rate == 0.25
    assert stats.no_answer_rate == 0.25
    # 1000 tokens spent, 2 correct samples -> 500 tokens per correct answer
    assert stats.tokens_per_correct == 500


def test_tokens_per_correct_on_per_problem_means_and_none_when_nothing_correct():
    # per-problem means with k=4: problem 1 spent 4*100 tokens, 3 correct; problem 2 4*300, 1 correct
    # -> (400 + 1200) / (3 + 1) = 400 == (100 + 300) / (0.75 + 0.25)
    assert tokens_per_correct([100, 300], [0.75, 0.25]) == pytest.approx(400)
    assert tokens_per_correct([10, 20], [0, 0]) is None
    assert token_stats([5.0], [0.0]).tokens_per_correct is None
    with pytest.raises(ValueError, match="think_tokens has 1 values, expected 2"):
        token_stats([1, 2], [1, 0], think_tokens=[1])


# --------------------------------------------------------------------------- AES


def test_aes_qwq_math_o1_pruner_matches_paper():
    # QwQ-32B-Preview MATH: base 90.6 / 2191, O1-Pruner 91.0 / 1385 (O1-Pruner Table 2)
    # dL = (2191 - 1385) / 2191 = 806 / 2191 = 0.367868
    # dA = (91.0 - 90.6) / 90.6 = 0.4 / 90.6 = 0.004415 (>= 0, so both conventions agree)
    # AES = 1 * 0.367868 + 3 * 0.004415 = 0.381113 -> 0.38
    value = aes(90.6, 2191, 91.0, 1385)
    assert value == pytest.approx(806 / 2191 + 3 * 0.4 / 90.6)
    assert round(value, 2) == 0.38
    assert aes(90.6, 2191, 91.0, 1385, convention="paper_table") == pytest.approx(value)


@pytest.mark.parametrize(
    ("base", "pruned", "expected"),
    [
        # Marco-o1 MATH: dL = 499/1156 = 0.431661, dA = 3.7/73.8 = 0.050136 -> 0.431661 + 0.150407 = 0.58
        ((73.8, 1156), (77.5, 657), 0.58),
        # Marco-o1 GSM8K: dL = 187/530 = 0.352830, dA = 2.2/89.2 = 0.024664 -> 0.352830 + 0.073991 = 0.43
        ((89.2, 530), (91.4, 343), 0.43),
        # Marco-o1 GaoKao: dL = 448/1112 = 0.402878, dA = 4.5/57.1 = 0.078809 -> 0.402878 + 0.236427 = 0.64
        ((57.1, 1112), (61.6, 664), 0.64),
        # QwQ GSM8K: dL = 243/777 = 0.312741, dA = 1.4/95.1 = 0.014721 -> 0.312741 + 0.044164 = 0.36
        ((95.1, 777), (96.5, 534), 0.36),
        # QwQ GaoKao: dL = 737/2183 = 0.337609, dA = 1.3/79.0 = 0.016456 -> 0.337609 + 0.049367 = 0.39
        ((79.0, 2183), (80.3, 1446), 0.39),
    ],
)
def test_aes_o1_pruner_rows(base, pruned, expected):
    assert round(aes(*base, *pruned), 2) == expected


def test_aes_accuracy_drop_formula_vs_paper_table():
    # DESIGN.md: Marco-o1 GSM8K fast-solving prompt, 0.41 in the paper's table, -0.26 by the formula.
    # The row itself is not in DESIGN.md; 81.7 / 445 against the base 89.2 / 530 is consistent with both:
    # dL = (530 - 445) / 530 = 85 / 530 = 0.160377
    # dA = (81.7 - 89.2) / 89.2 = -7.5 / 89.2 = -0.084081
    # paper_table: 0.160377 + 3 * 0.084081 = 0.160377 + 0.252242 = 0.412619 -> 0.41
    # formula:     0.160377 - 5 * 0.084081 = 0.160377 - 0.420404 = -0.260027 -> -0.26
    d_len, d_acc = 85 / 530, 7.5 / 89.2
    paper = aes(89.2, 530, 81.7, 445, convention="paper_table")
    formula = aes(89.2, 530, 81.7, 445)
    assert paper == pytest.approx(d_len + 3 * d_acc) and round(paper, 2) == 0.41
    assert formula == pytest.approx(d_len - 5 * d_acc) and round(formula, 2) == -0.26


def test_aes_weights_scale_invariance_and_errors():
    # custom weights: dL = 0.5, dA = -0.1 -> 2*0.5 - 10*0.1 = 0
    assert aes(0.5, 100, 0.45, 50, alpha=2, gamma=10) == pytest.approx(0.0)
    # fractions vs percentages give the same score
    assert aes(0.906, 2191, 0.91, 1385) == pytest.approx(aes(90.6, 2191, 91.0, 1385))
    assert aes(0.5, 100, 0.5, 100) == 0.0
    with pytest.raises(ValueError, match="AES needs a base with positive accuracy and length"):
        aes(0.0, 100, 0.5, 50)
    with pytest.raises(ValueError, match="AES needs a base with positive accuracy and length"):
        aes(0.5, 0, 0.5, 50)
    with pytest.raises(ValueError, match="unknown AES convention 'paper'"):
        aes(0.5, 100, 0.5, 50, convention="paper")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- AUC


def test_auc_log_budget_trapezoid():
    # budgets 128, 256, 1024 -> log2: 7, 8, 10; acc 0.2, 0.4, 0.8
    # area = (8-7)*(0.2+0.4)/2 + (10-8)*(0.4+0.8)/2 = 0.3 + 1.2 = 1.5; width 3 -> 0.5
    assert auc_log_budget([128, 256, 1024], [0.2, 0.4, 0.8]) == pytest.approx(0.5)
    assert auc_log_budget([1024, 128, 256], [0.8, 0.2, 0.4]) == pytest.approx(0.5)  # order-free
    assert auc_log_budget([64, 4096], [1.0, 1.0]) == pytest.approx(1.0)
    assert auc_log_budget([64, 4096], [0.0, 0.0]) == 0.0


def test_auc_errors():
    for budgets, accs, reason in [
        ([128], [0.5], "AUC needs at least two budgets"),
        ([128, 128], [0.1, 0.2], "budgets must be distinct"),
        ([0, 128], [0.1, 0.2], "budgets must be positive finite numbers"),
        ([1, 2], [0.1, 1.2], re.escape("accuracies must lie in [0, 1]")),
    ]:
        with pytest.raises(ValueError, match=reason):
            auc_log_budget(budgets, accs)


# --------------------------------------------------------------------------- paired bootstrap


def test_paired_bootstrap_diff_detects_consistent_improvement():
    rng = np.random.default_rng(0)
    b = (rng.random(300) < 0.5).astype(float)
    a = b.copy()
    flip = np.flatnonzero(a == 0)[:30]  # A solves 30 extra problems: +0.1
    a[flip] = 1.0
    res = paired_bootstrap_diff(a, b, seed=3)
    assert res.mean_diff == pytest.approx(0.1)
    assert 0 < res.ci_low < 0.1 < res.ci_high
    assert res.p_le_zero == 0.0
    assert res == paired_bootstrap_diff(a, b, seed=3)
    reverse = paired_bootstrap_diff(b, a, seed=3)
    assert reverse.mean_diff == pytest.approx(-0.1) and reverse.p_le_zero == 1.0


def test_paired_bootstrap_is_tighter_than_unpaired_and_validates():
    rng = np.random.default_rng(5)
    difficulty = rng.random(200)
    a = (rng.random((200, 8)) < difficulty[:, None]).astype(float)
    b = (rng.random((200, 8)) < difficulty[:, None] * 0.95).astype(float)
    paired = paired_bootstrap_diff(a, b)
    ea, eb = avg_at_k(a), avg_at_k(b)
    unpaired_width = math.hypot(ea.ci_high - ea.ci_low, eb.ci_high - eb.ci_low)
    assert paired.ci_high - paired.ci_low < unpaired_width
    identical = paired_bootstrap_diff([1, 0, 1], [1, 0, 1])
    assert identical.mean_diff == 0 and identical.p_le_zero == 1.0
    with pytest.raises(ValueError, match="runs cover different numbers of problems"):
        paired_bootstrap_diff([1, 0], [1, 0, 1])
