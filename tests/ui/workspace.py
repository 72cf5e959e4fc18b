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
      - name: validation
        source: /opt/ml/processing/output/validation
  training:
    algorithm: xgboost
    version: "1.7-1"
    instance_type: ml.m5.large
    content_type: text/csv
    hyperparameters:
      objective: "binary:logistic"
      eval_metric: error
      num_round: 5
      max_depth: 2
    inputs:
      train: "{{ stages.preprocessing.outputs.train }}"
      validation: "{{ stages.preprocessing.outputs.validation }}"
  gate:
    source: training
    metric: "validation:error"
    threshold: 0.5
    comparison: less_than
  register:
    model_package_group: model
    approval_status: PendingManualApproval
  create_model: {}
  deploy:
    endpoint_name: ui-model
    instance_type: ml.m5.large
"""
SCRIPTS = {
    "slow.py": "import time\nfor i in range(8):\n    print(f'step {i} <b>not bold</b>', flush=True)\n"
               "    time.sleep(0.5)\n",
    "quick.py": "print('quick done')\n",
    "split.py": "import os, random, sys\nbase = sys.argv[2]\nfor part, n in (('train', 80), ('validation', 40)):\n"
                "    out = os.path.join(base, 'output', part)\n    os.makedirs(out, exist_ok=True)\n"
                "    rows = []\n    for _ in range(n):\n        x = random.random()\n"
                "        label = int(x > 0.5) if random.random() > 0.1 else int(x <= 0.5)\n"
                "        rows.append(f'{label},{x:.4f},{random.random():.4f}')\n"
                "    open(os.path.join(out, part + '.csv'), 'w').write('\\n'.join(rows) + '\\n')\n",
    "fail.py": "print('loading the data')\nraise SystemExit('bad data: column target missing')\n",
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
