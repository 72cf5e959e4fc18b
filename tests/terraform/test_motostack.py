"""The validating proxy in front of moto answers ValidateStateMachineDefinition with sagestep's
own validator and forwards everything else."""

from __future__ import annotations

import json

from sagestep.pipeline.compile import compile_state_machine
from tests.motostack import MotoStack


def test_proxy_validates_with_sagestep_and_forwards_the_rest() -> None:
    with MotoStack(execute_state_machines=False) as stack:
        sfn = stack.client("stepfunctions")
        ok = sfn.validate_state_machine_definition(definition=json.dumps(compile_state_machine()))
        assert (ok["result"], ok["diagnostics"]) == ("OK", [])
        bad = sfn.validate_state_machine_definition(
            definition='{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}'
        )
        assert bad["result"] == "FAIL"
        assert "B" in bad["diagnostics"][0]["message"]
        assert sfn.list_state_machines()["stateMachines"] == []  # forwarded to moto
        assert "AWSStepFunctions.ListStateMachines" in stack.calls
