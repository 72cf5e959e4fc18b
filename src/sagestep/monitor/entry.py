"""Entry of a monitoring processing job when sagestep is shipped as the job's code input.

    python3 /opt/ml/processing/input/code/sagestep/monitor/entry.py data-quality

Python puts this file's own folder first on sys.path, where ``statistics.py`` and
``profile.py`` would shadow the standard library's modules; replace it with the folder that
holds the ``sagestep`` package before anything else is imported.
"""

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[2])

from sagestep.monitor.__main__ import main  # noqa: E402

sys.exit(main())
