"""A real local workspace for the UI tests and bench: configs with tiny real jobs."""

from __future__ import annotations

from pathlib import Path

SLOW = """\
name: slow
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: slow.py
    source_dir: scripts
    instance_type: ml.m5.large
"""
GATED = """\
name: gated
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: quick.py
    source_dir: scripts
    instance_type: ml.m5.large
  approval:
    mode: manual
"""
BROKEN = """\
name: broken
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: fail.py
    source_dir: scripts
    instance_type: ml.m5.large
"""
MODEL = """\
name: model
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: split.py
    source_dir: scripts
    instance_type: ml.m5.large
    arguments: ["--base", "/opt/ml/processing"]
    outputs:
      - name: train
        source: /opt/ml/processing/output/train
  training:
    framework: sklearn
    script: train.py
    source_dir: scripts
    instance_type: ml.m5.large
    metric_definitions:
      - {Name: validation-mse, Regex: "validation-mse: ([0-9.]+)"}
    inputs:
      train: "{{ stages.preprocessing.outputs.train }}"
  gate:
    source: training
    metric: validation-mse
    threshold: 10
    comparison: less_than
  register:
    model_package_group: model
    approval_status: PendingManualApproval
"""
SCRIPTS = {
    "slow.py": "import time\nfor i in range(8):\n    print(f'step {i} <b>not bold</b>', flush=True)\n"
               "    time.sleep(0.5)\n",
    "quick.py": "print('quick done')\n",
    "split.py": "import os, sys\nout = os.path.join(sys.argv[2], 'output', 'train')\n"
                "os.makedirs(out, exist_ok=True)\nopen(os.path.join(out, 'train.csv'), 'w').write('1,2\\n')\n",
    "fail.py": "print('loading the data')\nraise SystemExit('bad data: column target missing')\n",
    "train.py": "import os, random\nmse = round(random.uniform(1, 5), 4)\n"
                "print(f'validation-mse: {mse}')\n"
                "d = os.environ.get('SM_MODEL_DIR', '/opt/ml/model')\nos.makedirs(d, exist_ok=True)\n"
                "open(os.path.join(d, 'model.txt'), 'w').write(str(mse))\n",
}
CONFIGS = {"slow": SLOW, "gated": GATED, "broken": BROKEN, "model": MODEL}


def write_configs(root: Path) -> dict[str, Path]:
    """Config files (and their scripts) under ``root``; name -> path."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    for name, text in SCRIPTS.items():
        (root / "scripts" / name).write_text(text)
    paths = {}
    for name, text in CONFIGS.items():
        path = root / f"{name}.yaml"
        path.write_text(text)
        paths[name] = path
    return paths
