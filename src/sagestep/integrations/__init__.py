"""The local engine's Task integrations: the table of resource ARN -> integration it runs.

``services.local_integrations(runtime)`` builds it for one :class:`sagestep.local.LocalRuntime`:
SageMaker through a boto3-shaped client (only boto3 method names, so a real client works
too), Lambda through the runtime's registry, SNS/EventBridge into the engine's outbox, and
nested Step Functions executions (``nested``). It sits between the facade (``sagestep.local``,
which assembles it) and the engine (which only looks resources up in the table); it imports
the engine's integration types and nothing of sagemaker or serving.
"""
