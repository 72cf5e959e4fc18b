"""Built-in SageMaker algorithms run locally: the catalogue (see :mod:`.catalog`) and implementations."""

from sagestep.sagemaker.builtins.catalog import BUILTINS, BuiltinAlgorithm, lookup

__all__ = ["BUILTINS", "BuiltinAlgorithm", "lookup"]
