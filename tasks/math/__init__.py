"""Math benchmarks (MATH500, GSM8K, GaoKao 2023 En, AIME 2024/2025, AMC 2023, MATH): data loading."""
