"""``train_method``: one entry point for every baseline recipe (SFT, DPO, O1-Pruner, L1, Elastic).

Every method starts from the same base, trains on the same problems (the toy task's train split)
with the shared cached reference samples (on-policy GRPO methods sample their own rollouts
instead), and writes an HF checkpoint folder plus
``training_record.json`` (:class:`~elastic_bench.harness.results._records.TrainingRecord`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import sys
from pathlib import Path

from elastic_bench.baselines.common import (
    check_launch,
    is_main_process,
    main_process_first,
    training_set_label,
    wait_for_everyone,
    world_size,
)
from elastic_bench.baselines.recipe import DataConfig, default_recipe, load_recipe, split_global_batch
from elastic_bench.baselines.resume import ResumePlan, RunClock, plan_resume
from elastic_bench.harness.provenance import (
    current_hardware,
    git_commit,
    library_versions,
    portable_path,
    same_model_location,
)
from elastic_bench.harness.results import TrainingRecord, TrainingResume, write_atomic

METHODS = ("sft", "dpo", "o1_pruner", "l1_exact", "l1_max", "elastic")
#: methods whose module is not ``baselines/<method>.py``
_MODULES = {"elastic": "elastic_rl"}
RUN_FILE = "run.json"
RECORD_FILE = "training_record.json"
#: set for every method: nothing leaves the machine, token counts are recorded
COMMON_FORCED = {"report_to": "none", "include_num_input_tokens_seen": True}


def method_module(method: str):
    """The recipe module of ``method`` (``baselines/<method>.py``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    return importlib.import_module(f"elastic_bench.baselines.{_MODULES.get(method, method)}")


def _check_output_dir(
    out: Path, method: str, base: str, resume: bool, spec: dict, allow_changed: bool = False
) -> ResumePlan:
    """Refuses an output dir that is a file, finished or taken; for ``resume``, where to continue."""
    run_file = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise ValueError(f"--output-dir {str(out)!r} is a file, not a folder")
    if (out / RECORD_FILE).is_file():
        raise ValueError(f"output dir {str(out)!r} holds a finished run; choose another --output-dir")
    if not (out.is_dir() and any(out.iterdir())):
        return ResumePlan()
    if not resume:
        raise ValueError(f"output dir {str(out)!r} is not empty (another run?); use --resume or a new dir")
    if not run_file.is_file():
        raise ValueError(f"output dir {str(out)!r} holds no training run to resume")
    earlier = json.loads(run_file.read_text())
    if earlier.get("method") != method or not same_model_location(str(earlier.get("base")), base):
        raise ValueError(
            f"output dir {str(out)!r} holds a {earlier.get('method')} run of {earlier.get('base')}; "
            "choose another --output-dir"
        )
    return plan_resume(out, _last_checkpoint(out), earlier.get("spec") or {}, spec, allow_changed)


def _run_id(out: Path, resume: bool) -> str:
    """The training run's id: a resumed run keeps its own."""
    from elastic_bench.baselines.callbacks import new_run_id

    earlier = json.loads((out / RUN_FILE).read_text()) if resume and (out / RUN_FILE).is_file() else {}
    return earlier.get("run_id") or new_run_id(out)


def _last_checkpoint(out: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(out)) if out.is_dir() else None


def problems_of(data: DataConfig) -> list:
    """The recipe's training problems (``data.train_set``, graded by ``data.benchmark``)."""
    from elastic_bench.baselines.common import training_problems

    return training_problems(
        data.n_problems, data.problems_seed, data.train_set, data.benchmark, data.train_revision
    )


def references(data: DataConfig, base: str, seed: int, model=None, tokenizer=None):
    """The recipe's reference samples of ``base`` (sampled once, then read from the cache)."""
    from elastic_bench.baselines.reference import sample_references

    problems = problems_of(data)
    cache = data.cache_dir or os.path.join(Path.home(), ".cache", "elastic_bench", "references")
    return sample_references(
        base,
        problems,
        data.k,
        temperature=data.temperature,
        top_p=data.top_p,
        max_tokens=data.max_tokens,
        seed=seed,
        benchmark=data.benchmark,
        prompt_template=data.prompt_template,
        batch_size=data.batch_size,
        cache_dir=cache,
        model=model,
        tokenizer=tokenizer,
    )


def train_method(
    method: str,
    base: str | Path,
    output_dir: str | Path,
    recipe: str | Path | None = None,
    overrides: dict[str, str] | None = None,
    resume: bool = False,
    callbacks: list | None = None,
    allow_changed: bool = False,
):
    """Train ``method`` from ``base`` into ``output_dir``; returns the TrainingRecord.

    ``resume`` continues from the last checkpoint in ``output_dir`` with the run's own settings;
    ``allow_changed`` lets it continue with changed ones, which the record lists before and after.
    Under ``accelerate launch`` every process calls this: each takes its share of the recipe's
    global batch (:func:`~elastic_bench.baselines.recipe.split_global_batch`), and only rank 0
    writes the run's files.
    """
    if allow_changed and not resume:
        raise ValueError("--allow-changed only applies with --resume")
    check_launch()
    module = method_module(method)
    recipe_path = Path(recipe) if recipe else default_recipe(method)
    spec = load_recipe(recipe_path, module.CONFIG_CLASS, overrides)
    if spec["method"] not in (None, method):
        raise ValueError(f"recipe {recipe_path.name} is for method {spec['method']!r}, not {method!r}")
    out = Path(output_dir)
    base = portable_path(base)  # the record names the base as every clone can find it
    processes = world_size()
    trainer_spec = split_global_batch(spec["trainer"], module.CONFIG_CLASS, processes)
    plan = _check_output_dir(out, method, base, resume, spec, allow_changed)
    wait_for_everyone()  # every process has seen the folder as it was before rank 0 writes to it
    commit = (
        git_commit()
    )  # the code that trains: read now, so a commit made during training does not relabel it

    from elastic_bench.baselines.common import load_base

    model, tokenizer = load_base(base)  # one-line error when base is not a causal LM
    data = DataConfig(**spec["data"])
    trainer_kwargs = {**trainer_spec, **COMMON_FORCED, **module.FORCED, "output_dir": str(out)}
    if "benchmark" in {f.name for f in dataclasses.fields(module.CONFIG_CLASS)}:  # GRPO reward graders
        grader = trainer_kwargs.setdefault("benchmark", data.benchmark)
        if grader != data.benchmark:
            raise ValueError(
                f"recipe: trainer.benchmark {grader!r} differs from data.benchmark {data.benchmark!r}"
            )
    args = module.CONFIG_CLASS(**trainer_kwargs)
    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        (out / RUN_FILE).write_text(
            json.dumps(
                {"method": method, "base": base, "recipe": portable_path(recipe_path), "spec": spec}
                | {"run_id": _run_id(out, resume)},  # eval-on-save results carry the run's id
                indent=1,
                default=str,
            )
        )
    try:
        return _train(module, method, base, out, spec, data, args, model, tokenizer, plan, callbacks, commit)
    except BaseException:
        if is_main_process() and _last_checkpoint(out) is None:  # a corrected rerun may use the folder
            (out / RUN_FILE).unlink(missing_ok=True)
        raise


def _train(module, method, base, out, spec, data, args, model, tokenizer, plan, callbacks, commit):
    """The training itself (after the output folder holds its run file)."""
    from transformers import set_seed

    clock = RunClock(spec, plan.earlier_seconds or 0.0, plan.resumes)
    extra: dict = {}
    on_policy = getattr(module, "ON_POLICY", False)  # GRPO methods sample rollouts, not references
    if on_policy:
        extra["problems"] = problems_of(data)
        refs = module.no_references(base, extra["problems"])
    else:  # references() draws the same problems itself, from the same recipe
        with main_process_first():  # rank 0 samples (or reads) and caches; the others read its cache
            refs = references(data, base, int(args.seed), model=model, tokenizer=tokenizer)
    original_template = tokenizer.chat_template
    set_seed(args.seed)
    trainer = module.make_trainer(
        model, tokenizer, refs, args, callbacks=[*(callbacks or []), clock], **extra
    )
    if not on_policy:  # GRPO's sampler draws whole generation batches
        _note_padded_last_batch(len(trainer.train_dataset), args.per_device_train_batch_size)
    trainer.train(resume_from_checkpoint=plan.checkpoint)
    tokenizer.chat_template = original_template  # the saved model renders prompts as the base did
    trainer.save_model(str(out))  # rank 0 writes (the trainer knows its process)
    if is_main_process():
        tokenizer.save_pretrained(str(out))
    state = trainer.state
    tokens = int(getattr(state, "num_input_tokens_seen", 0) or 0)
    record = TrainingRecord(
        method=method,
        base_model=base,
        base_weights_sha256=refs.base_weights_sha256,
        training_data=training_set_label(
            data.train_set, data.n_problems, data.problems_seed, data.train_revision
        )
        + "; "
        + ("on-policy rollouts" if on_policy else f"references k={data.k} key={refs.key}"),
        training_data_sha256=refs.problems_sha256,
        hyperparameters={"data": json.loads(json.dumps(spec["data"])), "trainer": _plain(args)},
        optimizer_steps=int(state.global_step),
        training_tokens=tokens,
        reference_sampling_tokens=int(refs.generated_tokens),
        # reference sampling included unless cached; a resumed run adds the time before its checkpoint
        wall_time_seconds=round(clock.seconds(), 2),
        seed=int(args.seed),
        world_size=world_size(),
        hardware=current_hardware(),
        library_versions=library_versions(),
        git_commit=commit,
        resumed=[TrainingResume(**r) for r in plan.resumes],
    )
    if is_main_process():
        write_atomic(out / RECORD_FILE, record.model_dump_json(indent=1))  # whole or not at all
    wait_for_everyone()  # no process reports the run finished before its record is on disk
    return record


def _note_padded_last_batch(rows: int, per_device: int) -> None:
    """One line (rank 0) when the training rows do not fill the processes' last batch of an epoch:
    accelerate pads it with rows from the epoch's start, where one process trains on a smaller batch,
    so that step's loss differs from a one-process run's."""
    processes = world_size()
    if processes > 1 and rows % (per_device * processes) and is_main_process():
        print(
            f"elastic-bench: note: {rows} training rows leave a partial last batch of {per_device} x "
            f"{processes} processes; it is filled with rows from the epoch's start",
            file=sys.stderr,
        )


def _plain(args) -> dict:
    """The config's non-default-free values that define the run, as plain JSON."""
    keep = {}
    for key, value in args.to_dict().items():
        if key in ("output_dir", "logging_dir", "hub_token", "push_to_hub_token") or key.startswith("_"):
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            value = str(value)
        keep[key] = value
    return keep
