"""Retraining recipes on TRL (SFT, DPO, L1, O1-Pruner, Elastic): a later issue; nothing here yet."""
