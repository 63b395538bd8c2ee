"""Who measured an entry, as the pages show it: **verified** (the leaderboard's own worker evaluated a
submitted checkpoint), **self-reported** (a result file its submitter computed) or **published** (a
paper's numbers)."""

from __future__ import annotations

from elastic_bench.harness.results import ResultFile

VERIFIED, SELF_REPORTED, PUBLISHED = "verified", "self-reported", "published"
#: the reproduced entries' two kinds of evaluation, in the order the filter shows them
EVALUATIONS = (VERIFIED, SELF_REPORTED)
EVALUATION_HELP = (
    "verified: the leaderboard evaluated the submitted checkpoint itself (elastic-bench worker, the "
    "registry's protocol) · self-reported: a result file its submitter computed and uploaded"
)


def evaluation_columns(result: ResultFile) -> dict[str, str]:
    """The entry's ``evaluation`` (verified / self-reported / published) and ``request_id`` columns."""
    if result.kind == "reported":
        return {"evaluation": PUBLISHED, "request_id": ""}
    if result.verification is not None:
        return {"evaluation": VERIFIED, "request_id": result.verification.request_id}
    return {"evaluation": SELF_REPORTED, "request_id": ""}
