"""Who measured an entry: the leaderboard itself (verified) or the submitter (self-reported).

A **verified** entry was evaluated by the leaderboard's own worker (``elastic-bench worker``) from an
evaluation request, under the protocol the registry fixed when the request was made; its
:class:`Verification` names that request. An entry without one is **self-reported**: a result file its
submitter computed (``elastic-bench submit RESULT.json``, the upload page), which may not claim one.

Re-exported by :mod:`elastic_bench.harness.results._schema`, the schema's public module.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from elastic_bench.harness.results._records import StrictModel

#: a request id: letters, digits, ``_``, ``-``, ``.``
REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
#: the folder of the results directory that holds verified entries
VERIFIED_DIRNAME = "verified"
#: why a submitted result file may not carry a verification
SELF_REPORTED_ONLY = (
    "a submitted result file is self-reported and may not carry 'verification' (only the leaderboard's "
    "worker writes it); remove the field, or submit the model with `elastic-bench submit --checkpoint`"
)


class Verification(StrictModel):
    """The evaluation request a verified entry was measured for, and by which worker."""

    request_id: str = Field(pattern=REQUEST_ID, description="the request in the leaderboard's request store")
    protocol_version: str = Field(
        min_length=1, max_length=64, description="the benchmark protocol the request recorded (registry hash)"
    )
    requested_model: str = Field(min_length=1, max_length=500, description="hub id or path as requested")
    worker: str = Field(min_length=1, max_length=200, description="the worker that evaluated it")
    evaluated_at: datetime
