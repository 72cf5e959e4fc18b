"""Serving code for the census model (SAGEMAKER_PROGRAM in seed 002's CreateModel)."""

import os

import joblib


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
