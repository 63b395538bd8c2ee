"""Which entries form a method comparison against a base (no Streamlit here).

* Reproduced: entries whose result file carries a training record are grouped with the entry of
  the base they were trained from (same task group, ``reproducibility.weights_sha256`` equal to the
  record's ``base_weights_sha256``), as ``elastic-bench baselines`` writes them; a model retrained
  from another retrained one (L1-Max from L1-Exact) joins the group of the first base, and the
  title says what it was trained from. A declared alias (an entry submitted with the weights of
  another under a second name, ``alias_of``) is never a base or a method of its own.
* Reported: entries that name their base row (``reported_source.base_row``) are grouped with that
  row's entry of the same source table and benchmark version (AdaptThink's re-implemented DAST with
  AdaptThink's R1-1.5B row, never another source's R1-1.5B); older files without a source table by
  name: ``"<base> + <method>"`` with the row ``<base>`` of the same task group.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: the separator of reported "<base> + <method>" names
METHOD_SEPARATOR = " + "


@dataclass(frozen=True)
class ComparisonGroup:
    """A base entry and the entries of methods applied to it (entry = path in the results dir)."""

    kind: str
    task_group: str
    base: str
    methods: tuple[str, ...]
    title: str


def comparison_groups(entries: pd.DataFrame) -> list[ComparisonGroup]:
    """Every comparison found among ``entries`` (the leaderboard's entries frame), reproduced first;
    declared aliases of another entry are left out."""
    groups: list[ComparisonGroup] = []
    if "alias_of" in entries:
        entries = entries[entries["alias_of"].fillna("") == ""]
    rep = entries[entries["kind"] == "reproduced"]
    trained = rep[rep["method"] != ""]
    roots = _root_bases(trained)
    for (task_group, base_sha), members in trained.groupby([trained["task_group"], roots], sort=True):
        bases = rep[
            (rep["task_group"] == task_group) & (rep["method"] == "") & (rep["weights_sha256"] == base_sha)
        ]
        if base_sha == "" or not len(bases):
            continue
        base = bases.sort_values("n_problems", ascending=False).iloc[0]
        members = members.sort_values("model_name")
        names = dict(zip(trained["weights_sha256"], trained["model_name"], strict=False))
        chains = [
            f"{m.model_name} from {names[m.base_weights_sha256]}"
            for m in members.itertuples()
            if m.base_weights_sha256 != base_sha and m.base_weights_sha256 in names
        ]
        trained_from = f"; {', '.join(chains)}" if chains else ""
        title = f"{base['model_name']} and its retrained baselines ({task_group}{trained_from})"
        groups.append(
            ComparisonGroup("reproduced", task_group, base["entry"], tuple(members["entry"]), title)
        )
    pub = entries[entries["kind"] == "reported"]
    groups += _table_groups(entries, pub)
    pub = pub[pub["source_table"].fillna("") == ""] if "source_table" in pub else pub
    named = pub[pub["model_name"].str.contains(METHOD_SEPARATOR, regex=False)]
    base_names = named["model_name"].str.split(METHOD_SEPARATOR, n=1, regex=False).str[0]
    for (task_group, base_name), members in named.groupby([named["task_group"], base_names], sort=True):
        bases = pub[(pub["task_group"] == task_group) & (pub["model_name"] == base_name)]
        if not len(bases):
            continue
        title = f"{base_name} and methods applied to it, as published ({task_group})"
        groups.append(
            ComparisonGroup("reported", task_group, bases.iloc[0]["entry"], tuple(members["entry"]), title)
        )
    return groups


def method_labels(results: list, methods: list[str]) -> list[str]:
    """The method column of a comparison table (its first row the base): a retrained entry's training
    method; a published row the method its name adds to the base (``"<base> + <method>"``), else the
    name of its row (the base row: "base")."""
    labels = []
    for i, (result, method) in enumerate(zip(results, methods, strict=True)):
        if i and result.kind == "reported":
            method = result.model_name.partition(METHOD_SEPARATOR)[2] or result.model_name
        labels.append(method)
    return labels


def _root_bases(trained: pd.DataFrame) -> pd.Series:
    """The weights hash of the first model each retrained entry descends from: a model retrained from
    another retrained model (L1-Max from L1-Exact) belongs with the base that one started from."""
    parent = {
        (g, w): b
        for g, w, b in zip(
            trained["task_group"], trained["weights_sha256"], trained["base_weights_sha256"], strict=True
        )
        if w
    }
    roots = []
    for group, sha in zip(trained["task_group"], trained["base_weights_sha256"], strict=True):
        seen = set()
        while (group, sha) in parent and sha not in seen:
            seen.add(sha)
            sha = parent[(group, sha)]
        roots.append(sha)
    return pd.Series(roots, index=trained.index, name="root_base")


def _table_groups(entries: pd.DataFrame, pub: pd.DataFrame) -> list[ComparisonGroup]:
    """Reported entries grouped with the base row their source table names (same benchmark version)."""
    if "table_base" not in pub:
        return []
    groups = []
    with_base = pub[pub["table_base"].fillna("") != ""]
    for base_entry, members in with_base.groupby("table_base", sort=False):
        base = entries[entries["entry"] == base_entry]
        if not len(base):
            continue
        row = base.iloc[0]
        title = (
            f"{row['model_name']} and methods applied to it, as published ({row['table_label']}, "
            f"{row['benchmark_version']})"
        )
        members = members.sort_values("model_name")
        groups.append(
            ComparisonGroup("reported", row["task_group"], base_entry, tuple(members["entry"]), title)
        )
    return sorted(groups, key=lambda g: g.title)


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`~elastic_bench.harness.analysis._comparison.comparison_frame` with readable units (%, rounded)."""
    pct = lambda col: (frame[col] * 100).round(1)  # noqa: E731
    return pd.DataFrame(
        {
            "model": frame["model"],
            "method": frame["method"],
            "Acc_%": pct("accuracy"),
            "Len_think": frame["mean_think_tokens"].astype(float).round(1),
            "Len_total": frame["mean_total_tokens"].astype(float).round(1),
            "think_vs_base_%": (frame["think_change"].astype(float) * 100).round(1),
            "AES": frame["aes"].astype(float).round(3),
            "AES_paper_convention": frame["aes_paper_table"].astype(float).round(3),
            "AUC": frame["auc"].astype(float).round(3),
            "train_steps": frame["optimizer_steps"].astype("Int64"),
            "train_tokens": frame["training_tokens"].astype("Int64"),
            "reference_tokens": frame["reference_sampling_tokens"].astype("Int64"),
            "train_seconds": frame["train_wall_seconds"].astype(float).round(0),
        }
    )


#: number format of each :func:`display_table` column in :func:`formatted_table`
FORMATS = {
    "Acc_%": "{:.1f}",
    "Len_think": "{:.1f}",
    "Len_total": "{:.1f}",
    "think_vs_base_%": "{:+.1f}",
    "AES": "{:.3f}",
    "AES_paper_convention": "{:.3f}",
    "AUC": "{:.3f}",
    "train_steps": "{:d}",
    "train_tokens": "{:d}",
    "reference_tokens": "{:d}",
    "train_seconds": "{:.0f}",
}


def formatted_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`display_table` as strings ("n/a" where a value does not apply), for a static HTML table."""
    out = table.copy().astype(object)
    for col, fmt in FORMATS.items():
        out[col] = [
            ("n/a" if pd.isna(v) else fmt.format(int(v) if "d}" in fmt else float(v))) for v in table[col]
        ]
    return out
