"""``python -m elastic_bench.harness.cli``: the same as the ``elastic-bench`` command."""

import sys

from elastic_bench.harness.cli import main

sys.exit(main())
