"""The stored config item: the plain-JSON contract between config model, router and state machine.

``register`` stores a NORMALISED item. The router (stdlib + boto3, no pydantic) reads it as a
plain dict, renders one run of it, and starts the ONE generic state machine with it. Every
config format (sagestep YAML/JSON, seed 000's DynamoDB item, seed 002's input.yaml) becomes
this shape; nothing downstream knows where it came from.

Item (``item_version`` 1)::

    {
      "name": "churn-xgb",                 # pipeline name, registry hash key
      "version": 3,                        # set by the registry on put (1, 2, ...)
      "item_version": 1,                   # this layout's version
      "source": "sagestep" | "seed000" | "seed002",
      "description": "...",
      "triggers": {"s3": [{"bucket": "b", "prefix": "input/", "suffix": ".csv"}],
                   "schedules": [{"expression": "cron(0 14 ? * SAT *)"}]},
      "defaults": {"region": "us-east-1", "role_arn": "...", "bucket": "..."},
      "stages": {<all 15 stages, always present, canonical order>},
      "model_source": {"model_package_group": "g"}   # optional: the router looks up the
                                                     # newest Approved package per run
    }

Stages, canonical order: preprocessing, baseline, training, tuning, evaluation, gate,
approval, register, create_model, deploy, batch_transform, data_quality, model_quality,
postprocessing, notify. Every stage has
``"run": true|false`` (a real bool; the state machine's Choice reads ``$.stages.<s>.run``).
A stage absent from the config is just ``{"run": false}``; a stage present with
``run: false`` keeps its fields (turn it on again, or resume a pipeline from a later stage).
``notify`` always carries ``topic_arn`` and ``messages`` (the failure path reads them).
Fields of a stage:

- preprocessing / evaluation / postprocessing: ``request`` = CreateProcessingJob body
  without ``ProcessingJobName``; ``outputs`` = {OutputName: S3Uri} (sagestep format
  only; importers leave it out). evaluation also has ``report`` = {"output", "file"}:
  the output that holds evaluation.json (the gate gets its bucket/key).
- training: ``request`` = CreateTrainingJob body without ``TrainingJobName``.
- tuning: ``request`` = CreateHyperParameterTuningJob body without
  ``HyperParameterTuningJobName``.
- every job stage (preprocessing, training, tuning, evaluation, batch_transform,
  postprocessing) may have ``retry`` = {"max_attempts", "interval_seconds",
  "backoff_rate"}: extra attempts when the job fails (API throttling/capacity errors are
  always retried by the machine itself).
- gate: ``source`` "evaluation" | "training"; ``metric`` (key path into evaluation.json,
  e.g. ``regression_metrics.mse.value``, or a FinalMetricDataList MetricName);
  ``threshold`` (number); ``comparison`` one of COMPARISONS; ``on_fail`` "fail" | "stop";
  ``report`` = {"bucket", "key"} (source evaluation).
- approval: ``mode`` "auto" | "manual"; ``message``; ``timeout_seconds`` (a manual
  approval nobody answers fails the run with States.Timeout).
- register: ``group`` = {ModelPackageGroupName, ModelPackageGroupDescription};
  ``request`` = CreateModelPackage body (``ModelPackageGroupName``, ``ModelApprovalStatus``,
  ``InferenceSpecification``, ``ModelMetrics``, ``CustomerMetadataProperties``).
- create_model: ``request`` = CreateModel body without ``ModelName``; optional
  ``model_data`` (a fixed model.tar.gz URI for runs without training).
- deploy: ``endpoint_name`` (stable across runs: deploy updates it in place);
  ``endpoint_config`` = CreateEndpointConfig body without ``EndpointConfigName``;
  ``wait_seconds`` (endpoint status polling interval); ``latest_wins`` (deploy queue
  policy, see ``triggers.deployqueue``).
- batch_transform: ``request`` = CreateTransformJob body without ``TransformJobName``.
- baseline / data_quality / model_quality: ``request`` = CreateProcessingJob body running
  ``sagestep.monitor``; ``outputs`` = {"result": S3 URI of its files}; the checks also have
  ``on_violation`` "fail" | "continue" and optional ``retrain`` (a pipeline name the router
  starts when the check fails the run).
- notify: ``topic_arn``; ``messages`` = {"success": str, "approval": str,
  "failure": {<every stage>: str}} (seed 001's custom_notification_config lands here).

Requests are the exact SageMaker API shapes (validated against botocore's service model at
normalise time, with placeholders standing in for values).

Placeholders (``{{ name }}``, spaces optional; the router's ``sagestep.triggers.render``):

- rendered by the ROUTER into every string of ``stages``: ``pipeline``, ``config_version``,
  ``run.id``, ``run.execution_name``, ``run.dataset_date``, ``run.date``, ``run.time``,
  ``trigger.type|bucket|key|uri|prefix|filename|rule``, ``params.<x>``, ``names.<key>``,
  ``model_package.arn|version|model_data|image|baseline|statistics|constraints`` (with
  ``model_source``);
  seed 002's bare ``SFN_EXECUTION_ID`` -> execution name.
- resolved by the STATE MACHINE while the run executes (the helper Lambda's ``render``
  action; left untouched by the router): ``{{ state.model_data }}`` (S3 URI of the model
  artifact: tuning's best training job if tuning ran, else training's, else the
  create_model stage's static ``model_data``).
- resolved at NORMALISE time (never stored): ``{{ defaults.<x> }}`` and
  ``{{ stages.<stage>.outputs.<name> }}`` (an earlier stage's output S3 URI).

Execution input (built by the router, read by the state machine)::

    {"pipeline", "config_version",
     "run": {"id", "execution_name", "dataset_date", "date", "time",
             "trigger": {"type", "bucket", "key", "uri", "prefix", "filename", "rule"},
             "params": {}},
     "names": {"preprocessing", "training", "tuning", "evaluation", "model",
               "endpoint_config", "transform", "postprocessing",   # run-unique bases
               "model_package_group", "endpoint"},                 # stable
     "defaults": {...}, "description": "...", "source": "...",
     "stages": <item.stages rendered>}

Job names: the state machine names each attempt ``<names.<stage>>-<index>`` (index =
``$$.State.RetryCount`` of the stage's attempt wrapper, plus ``attempts`` per loop of the
stage's retry policy; always < 100), so bases leave 3 characters of room (jobs <= 60,
tuning <= 29). Model and endpoint config use ``names.model`` /
``names.endpoint_config`` as they are; the endpoint uses ``names.endpoint``.

The state machine writes ``$.results.<stage>`` (the Describe*/Create* response of each stage;
``results.best_training`` after tuning; ``results.gate`` = {passed, metric, value,
threshold, comparison, summary}), scratch values under ``$.work``
(``work.retries.<stage>`` = {retry, count, wait}), and on failure ``$.failure`` =
{Stage, Error, Cause, Message}.

The machine calls one helper Lambda (``sagestep.pipeline.helper.handler``, default name
"sagestep-helper") with actions ``render`` (request of a stage for one attempt),
``gate``, ``retry`` and ``approval`` (waitForTaskToken).

Lineage: executions carry ``config_version`` in their input; the register stage stamps
``CustomerMetadataProperties`` with LINEAGE_KEYS (pipeline, config version, execution).
"""

from __future__ import annotations

from typing import Final

from sagestep.pipeline.stages import JOB_STAGES as _JOB_STAGES
from sagestep.pipeline.stages import STAGES as _STAGES

ITEM_VERSION: Final = 1

STAGES = _STAGES
"""The canonical stage order; every item has all of them (``sagestep.pipeline.stages``)."""

JOB_STAGES = _JOB_STAGES
"""SageMaker job stages -> (names key, request name field, .sync API) (``sagestep.pipeline.stages``)."""

COMPARISONS: Final[dict[str, str]] = {
    "less_than": "<",
    "less_than_or_equal": "<=",
    "greater_than": ">",
    "greater_than_or_equal": ">=",
}
"""Gate comparisons: the model passes when ``value <op> threshold``."""

LINEAGE_KEYS: Final[dict[str, str]] = {
    "pipeline": "sagestep:pipeline",
    "config_version": "sagestep:config-version",
    "execution": "sagestep:execution",
    "run_id": "sagestep:run-id",
}
"""CustomerMetadataProperties keys a registered model package carries."""

MODEL_DATA: Final = "{{ state.model_data }}"
"""The runtime placeholder for the model artifact URI (resolved by the state machine)."""
