"""``python -m elastic_bench.harness.lmeval --k 4 elastic_aime``: print ``--tasks`` for lm_eval with k overridden."""

import sys

from elastic_bench.harness.lmeval._task_specs import main

sys.exit(main())
