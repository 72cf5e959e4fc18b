"""Script-mode XGBoost training that ships its serving code inside the model.

Trains on SM_CHANNEL_TRAIN / SM_CHANNEL_VALIDATION (label first, no header), logs
``validation-error``, saves ``xgboost-model`` in SM_MODEL_DIR and copies ``inference.py``
next to it under ``code/``: model.tar.gz then carries the exact serving code of this model
version, so the registry's version N is the model *and* the code that parses its requests.
"""

import argparse
import os
import shutil
from pathlib import Path

import numpy as np
import xgboost as xgb


def load(channel: str) -> xgb.DMatrix:
    data = np.loadtxt(next(Path(channel).glob("*.csv")), delimiter=",", ndmin=2)
    return xgb.DMatrix(data[:, 1:], label=data[:, 0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--num_round", type=int, default=20)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--eta", type=float, default=0.3)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    args, _ = parser.parse_known_args()
    train = load(os.environ["SM_CHANNEL_TRAIN"])
    validation = load(os.environ["SM_CHANNEL_VALIDATION"])
    booster = xgb.train({"objective": "binary:logistic", "eval_metric": "error",
                         "max_depth": args.max_depth, "eta": args.eta}, train, args.num_round)
    predicted = booster.predict(validation) > 0.5
    print(f"validation-error: {np.mean(predicted != validation.get_label()):.4f}")
    model_dir = Path(args.model_dir)
    booster.save_model(str(model_dir / "xgboost-model"))
    (model_dir / "code").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("inference.py"), model_dir / "code" / "inference.py")


if __name__ == "__main__":
    main()
