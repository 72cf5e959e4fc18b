"""sagestep: reusable SageMaker MLOps pipelines as config, on AWS or locally."""

__version__ = "0.1.0"
