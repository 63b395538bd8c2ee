"""Retrained baselines on TRL, all from the same base, problems and reference samples.

``elastic-bench train METHOD --base PATH --output-dir DIR [--recipe FILE] [--resume] [key=value]``
(``baselines.train.train_method``); methods: ``sft``, ``dpo``, ``o1_pruner`` (from reference samples)
and the on-policy GRPO methods ``l1_exact``, ``l1_max`` (``baselines/l1.py``) and ``elastic``
(``baselines/elastic_rl.py``: rollouts are the elastic strategy, through TRL's ``rollout_func``). Recipes live in
``baselines/recipes`` (``*_toy.yaml`` for the tiny reasoner, ``*_deepscaler_1.5b.yaml`` for a GPU).
Scale-out, unchanged recipe: ``accelerate launch --num_processes N -m elastic_bench.baselines.train_cli
METHOD ...`` (add ``--config_file`` with a DeepSpeed ZeRO config for ZeRO-2/3).

``elastic-bench baselines`` (``baselines.pipeline``) trains every method from one base on one shared
reference set, evaluates the base and each checkpoint with the same sweep and prints the comparison.
"""
