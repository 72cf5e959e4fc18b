"""Which fields each state type accepts, per query language (AWS's definition schema).

https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html and the
per-state pages; the JSONata variants drop every ``*Path``/``Parameters``/``ResultSelector``
field and add ``Arguments``/``Output``/``Items``/``Condition``.
"""

from __future__ import annotations

from collections.abc import Mapping

COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
# Fields that exist only in JSONPath states.
JSONPATH_ONLY = frozenset(
    {
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Result",
        "ItemsPath",
        "Iterator",
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "SecondsPath",
        "TimestampPath",
        "ErrorPath",
        "CausePath",
    }
)
# Fields that exist only in JSONata states.
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})

_FLOW = {"Next", "End", "InputPath", "OutputPath", "Assign", "Output"}
_WORK = _FLOW | {"Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"}

FIELDS: Mapping[str, frozenset[str]] = {
    "Pass": frozenset(_FLOW | {"Parameters", "Result", "ResultPath"}),
    "Task": frozenset(
        _WORK
        | {
            "Resource",
            "Arguments",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        }
    ),
    "Choice": frozenset({"Choices", "Default", "InputPath", "OutputPath", "Assign", "Output"}),
    "Wait": frozenset(_FLOW | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}),
    "Succeed": frozenset({"InputPath", "OutputPath", "Output"}),
    "Fail": frozenset({"Error", "Cause", "ErrorPath", "CausePath"}),
    "Parallel": frozenset(_WORK | {"Branches", "Arguments"}),
    "Map": frozenset(
        _WORK
        | {
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "Items",
            "ItemSelector",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
        }
    ),
}

# Fields whose value is a JSONPath (reference paths: no wildcards, filters or slices).
REFERENCE_PATHS = frozenset({"ResultPath"})
PATHS = frozenset(
    {
        "InputPath",
        "OutputPath",
        "ItemsPath",
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "SecondsPath",
        "TimestampPath",
        "ErrorPath",
        "CausePath",
    }
)
# Payload templates: in JSONPath their ``.$`` keys hold paths or intrinsic functions;
# in JSONata any string in them may be a ``{% %}`` expression.
TEMPLATES = frozenset({"Parameters", "ResultSelector", "ItemSelector", "Arguments", "Output"})
# Fields that accept a whole-value ``{% %}`` expression in JSONata states.
JSONATA_SCALARS = frozenset(
    {
        "Items",
        "TimeoutSeconds",
        "HeartbeatSeconds",
        "Seconds",
        "Timestamp",
        "Error",
        "Cause",
        "MaxConcurrency",
        "ToleratedFailureCount",
        "ToleratedFailurePercentage",
        "Credentials",
        "Condition",
    }
)
INTEGER_FIELDS = frozenset(
    {"TimeoutSeconds", "HeartbeatSeconds", "Seconds", "MaxConcurrency", "ToleratedFailureCount"}
)
STRING_FIELDS = frozenset(
    {"Comment", "Next", "Default", "Resource", "Error", "Cause", "Timestamp", "Label"}
)
RETRIER_FIELDS = frozenset(
    {
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Comment",
    }
)
CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})
MACHINE_FIELDS = frozenset(
    {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}
)
PROCESSOR_FIELDS = frozenset({"StartAt", "States", "Comment", "ProcessorConfig", "QueryLanguage"})
BRANCH_FIELDS = frozenset({"StartAt", "States", "Comment", "QueryLanguage"})
QUERY_LANGUAGES = ("JSONPath", "JSONata")
