"""The local SageMaker service: what ``client("sagemaker", home=...)`` talks to.

Map of the package (one concept per module):

- service.py: SageMakerService, one per workspace; client.py: the boto3-shaped client built
  from per-resource API mixins (*_api.py) over it; api.py their base; validation.py checks
  every request against botocore's service model as AWS would.
- records.py (SQLite documents), events.py (aws.sagemaker events), logs.py (CloudWatch-like
  streams), listing.py (List* filters and paging), arns.py.
- runner.py (job lifecycle around a child process), process.py, sandbox.py (bubblewrap or
  mapped paths), recovery.py (after a worker restart), staging.py (S3 <-> job dir).
- training.py / training_layout.py / toolkit.py (training contract and toolkit behaviour),
  processing.py, metrics.py (MetricDefinitions), images.py (image table), jobstate.py.
- tuning.py / search.py / tuning_summary.py / tuning_objective.py (hyper-parameter tuning),
  registry.py (model registry); builtins/ (built-in algorithms) and the model, endpoint and
  transform modules belong to the serving side.
"""
