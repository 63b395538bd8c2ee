"""Model args: one parser of ``key=value,...`` and validation against the backend's own signature."""

from __future__ import annotations

import re

import pytest

from elastic_bench.harness.lmeval import ModelArgsError, check_model_args, parse_model_args
from elastic_bench.models import elastic_hf
from elastic_bench.models.elastic_hf import ElasticHFLM


def test_parse_key_values() -> None:
    assert parse_model_args("pretrained=/m, dtype=bfloat16,,") == {"pretrained": "/m", "dtype": "bfloat16"}
    assert parse_model_args("a=b=c") == {"a": "b=c"}
    assert parse_model_args({"x": 1}) == {"x": 1}
    assert parse_model_args(None) == {} == parse_model_args("  ")
    with pytest.raises(ModelArgsError, match="malformed model_args entry 'pretrained'"):
        parse_model_args("pretrained")
    assert parse_model_args("pretrained,a=1", strict=False) == {"a": "1"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"pretrianed": "x"}, "unknown model arg 'pretrianed' for ElasticHFLM (did you mean 'pretrained'?)"),
        ({"dtyp": "float32"}, "did you mean 'dtype'?"),
        ({"dtype": "float33"}, "dtype='float33'"),
        ({"dtype": "float33"}, "did you mean 'float32'?"),
        ({"chat": "maybe"}, "chat='maybe'"),
        ({"batch_size": "abc"}, "batch_size='abc'"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"max_gen_toks": "-5"}, "max_gen_toks='-5'"),
        ({"share_prefix": "perhaps"}, "share_prefix='perhaps'"),
    ],
)
def test_bad_args_are_one_line_errors(args: dict, fragment: str) -> None:
    with pytest.raises(ModelArgsError, match=re.escape(fragment)) as info:
        check_model_args(ElasticHFLM, args)
    message = str(info.value)
    assert "\n" not in message and fragment in message, message


def test_valid_args_are_coerced() -> None:
    out = check_model_args(
        ElasticHFLM, {"batch_size": "8", "share_prefix": "false", "dtype": "bfloat16", "seed": "0"}
    )
    assert out == {"batch_size": 8, "share_prefix": False, "dtype": "bfloat16", "seed": 0}
    assert check_model_args(ElasticHFLM, {"batch_size": "auto"}) == {"batch_size": "auto"}


def test_backend_with_open_kwargs_accepts_unknown_keys() -> None:
    class Open:
        def __init__(self, pretrained: str = "", **kwargs) -> None: ...

    assert check_model_args(Open, {"anything": "1"}) == {"anything": "1"}


def test_lm_eval_path_fails_before_the_model_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr(elastic_hf, "load_model_and_tokenizer", no_load)
    with pytest.raises(ModelArgsError, match="did you mean 'pretrained'"):
        ElasticHFLM.create_from_arg_string("pretrianed=/x", {"batch_size": 1, "device": "cpu"})
    with pytest.raises(ModelArgsError, match="batch_size"):
        ElasticHFLM.create_from_arg_obj({}, {"batch_size": 0})
    with pytest.raises(ModelArgsError, match="dtype='float33'"):
        ElasticHFLM(dtype="float33")


def test_a_model_arg_wins_over_lm_evals_default_of_the_same_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """lm_eval's CLI always passes device=cuda:0 and batch_size=1: they replaced --model_args
    device=banana (run on the CPU without a word) and batch_size=8."""

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr(elastic_hf, "load_model_and_tokenizer", no_load)
    with pytest.raises(ValueError, match="device='banana': not a torch device"):
        ElasticHFLM.create_from_arg_string("device=banana", {"batch_size": 1, "device": "cuda:0"})
    with pytest.raises(ModelArgsError, match="batch_size='0'"):
        ElasticHFLM.create_from_arg_obj({"batch_size": "0"}, {"batch_size": 1, "device": "cuda:0"})
