"""Built-in SageMaker algorithms run locally, one folder each (``algorithms/xgboost/``).

The registry (:data:`BUILTINS`, :func:`lookup`, in :mod:`.catalog`) is what both sides read:
the local SageMaker (``sagemaker.images``: which images run a built-in, its ``train`` program
and metric definitions) and the model server (``serving``: the built-in's handler factory,
named by a ``module:function`` string). An algorithm's folder holds its training program and
its serving handler; the shared parts are :mod:`.failure` and :mod:`.paths` (the container's
training conventions), :mod:`.reply` (what a handler answers) and :mod:`.tabular` (request
parsing). Nothing here imports ``sagemaker`` or ``serving``.
"""

from sagestep.algorithms.catalog import BUILTINS, BuiltinAlgorithm, lookup

__all__ = ["BUILTINS", "BuiltinAlgorithm", "lookup"]
