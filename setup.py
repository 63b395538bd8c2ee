"""The two build facts pyproject.toml cannot state; all metadata lives in pyproject.toml.

1. The package list. The checkout keeps one top-level folder per job (harness, tasks, models,
   baselines, leaderboard_app); installed, each is ``elastic_bench.<folder>``. ``package_dir``
   maps them, which also gives a true PEP 660 editable install: setuptools' editable finder
   imports ``elastic_bench.harness`` straight from ``./harness``, so edits are live. Every
   folder below them (task YAML folders, the tiny reasoner's checkpoint) is a package here, so
   ``package_data`` ships all of their files.
2. ``elastic_bench.pth`` (the lm-eval plugin hook, see harness/lm_eval_plugin.py) at the top of
   site-packages, in the wheel and in the editable install alike.
"""

from __future__ import annotations

import os

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

TOP_LEVEL = ("harness", "tasks", "models", "baselines", "leaderboard_app")
PTH = os.path.join("harness", "elastic_bench.pth")


def _packages() -> list[str]:
    found = []
    for top in TOP_LEVEL:
        subs = find_namespace_packages(top, exclude=["__pycache__", "*.__pycache__"])
        found += [f"elastic_bench.{top}", *(f"elastic_bench.{top}.{sub}" for sub in subs)]
    return found


class BuildPyWithPth(build_py):
    """build_py that also puts ``elastic_bench.pth`` at the top of site-packages."""

    def run(self) -> None:
        super().run()
        # An editable wheel takes nothing from build_lib but its import finder; top-level
        # files go into the unpacked wheel, which setuptools points ``install_lib`` at.
        target = self.get_finalized_command("install").install_lib if self.editable_mode else self.build_lib
        self.copy_file(PTH, os.path.join(target, "elastic_bench.pth"), preserve_mode=False)

    def get_source_files(self) -> list[str]:
        return [*super().get_source_files(), PTH]  # so the sdist carries it

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, "elastic_bench.pth")]


setup(
    packages=_packages(),
    package_dir={f"elastic_bench.{top}": top for top in TOP_LEVEL},
    package_data={"": ["*"]},
    exclude_package_data={"": ["*.pyc"], "elastic_bench.harness": ["elastic_bench.pth"]},
    cmdclass={"build_py": BuildPyWithPth},
)
