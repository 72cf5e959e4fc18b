"""The canonical stage order of every sagestep pipeline (one definition, imported by all).

Standard library only and import-light: the config model, the compiler and the helper
Lambda (which ships in the router's zip) may all read it.
"""

from __future__ import annotations

from typing import Final

STAGES: Final[tuple[str, ...]] = (
    "preprocessing",
    "baseline",
    "training",
    "tuning",
    "evaluation",
    "gate",
    "approval",
    "register",
    "create_model",
    "deploy",
    "batch_transform",
    "data_quality",
    "model_quality",
    "postprocessing",
    "notify",
)
"""Stages in the order they run; every config item has all of them."""

JOB_STAGES: Final[dict[str, tuple[str, str, str]]] = {
    # stage -> (key in the run's names, request name field, optimized .sync API)
    "preprocessing": ("preprocessing", "ProcessingJobName", "createProcessingJob"),
    "training": ("training", "TrainingJobName", "createTrainingJob"),
    "tuning": ("tuning", "HyperParameterTuningJobName", "createHyperParameterTuningJob"),
    "evaluation": ("evaluation", "ProcessingJobName", "createProcessingJob"),
    "batch_transform": ("transform", "TransformJobName", "createTransformJob"),
    "baseline": ("baseline", "ProcessingJobName", "createProcessingJob"),
    "data_quality": ("data_quality", "ProcessingJobName", "createProcessingJob"),
    "model_quality": ("model_quality", "ProcessingJobName", "createProcessingJob"),
    "postprocessing": ("postprocessing", "ProcessingJobName", "createProcessingJob"),
}
"""SageMaker job stages: each runs as ``.sync`` with a job name unique per attempt."""
