"""The SKLearn training and serving script the SDK tests hand to an estimator, written the way
AWS's scikit-learn samples write it (argparse over SM_* variables, model_fn for serving)."""

SCRIPT = '''
import argparse, glob, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-C", type=float, default=1.0)
    parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
    args = parser.parse_args()
    df = pd.concat(pd.read_csv(f, header=None) for f in glob.glob(os.path.join(args.train, "*.csv")))
    model = LogisticRegression(C=args.C, max_iter=500).fit(df.iloc[:, 1:], df.iloc[:, 0])
    print(f"trained on {len(df)} rows, train accuracy {model.score(df.iloc[:, 1:], df.iloc[:, 0]):.2f}")
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
'''
