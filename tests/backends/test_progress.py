from sagestep.backends.base import find_task_token
from sagestep.backends.progress import stage_of, stages


def ev(i, kind, t, prev=None, **details):
    event = {"id": i, "type": kind, "timestamp": float(t), "previousEventId": prev or i - 1}
    event.update(details)
    return event


def entered(i, kind, name, t):
    return ev(i, kind, t, stateEnteredEventDetails={"name": name})


def exited(i, kind, name, t):
    return ev(i, kind, t, stateExitedEventDetails={"name": name})


def test_stage_of_prefers_the_stage_prefix_and_falls_back_to_words():
    assert stage_of("training: job") == "training"
    assert stage_of("batch_transform: job") == "batch_transform"
    assert stage_of("CheckPreProcessingRun") == "preprocessing"  # seed 002's names
    assert stage_of("CreateModelTask") == "create_model"
    assert stage_of("BatchTransformJob") == "batch_transform"
    assert stage_of("Training?") == "training"
    assert stage_of("Tuning Best Job") == "tuning"
    assert stage_of("Pass") is None


def test_stages_from_a_seed002_style_history():
    events = [
        ev(1, "ExecutionStarted", 0),
        entered(2, "ChoiceStateEntered", "CheckPreProcessingRun", 0),
        exited(3, "ChoiceStateExited", "CheckPreProcessingRun", 0),
        entered(4, "TaskStateEntered", "PreProcessingJob", 1),
        ev(5, "TaskScheduled", 1, taskScheduledEventDetails={
            "resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
            "parameters": '{"ProcessingJobName": "demo-prep-1"}'}),
        ev(6, "TaskSucceeded", 4),
        exited(7, "TaskStateExited", "PreProcessingJob", 4),
        entered(8, "ChoiceStateEntered", "CheckTrainingRun", 4),
        exited(9, "ChoiceStateExited", "CheckTrainingRun", 4),
        entered(10, "ChoiceStateEntered", "CheckEvaluationRun", 4),
        exited(11, "ChoiceStateExited", "CheckEvaluationRun", 4),
        entered(12, "TaskStateEntered", "EvaluationJob", 5),
        ev(13, "TaskScheduled", 5, taskScheduledEventDetails={
            "resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
            "parameters": '{"ProcessingJobName": "demo-eval-1"}'}),
        ev(14, "TaskFailed", 6, taskFailedEventDetails={"error": "States.TaskFailed", "cause": "boom"}),
        ev(15, "ExecutionFailed", 6),
    ]
    got = {s.stage: s for s in stages(events, "FAILED", ["preprocessing", "training", "evaluation",
                                                          "CreateModel", "batchTransform"])}
    assert list(got) == ["preprocessing", "training", "evaluation", "create_model", "batch_transform"]
    assert (got["preprocessing"].status, got["preprocessing"].seconds) == ("SUCCEEDED", 4.0)
    assert got["preprocessing"].jobs == ("demo-prep-1",)
    assert got["training"].status == "SKIPPED"
    assert got["evaluation"].status == "FAILED" and got["evaluation"].detail == "States.TaskFailed: boom"
    assert got["create_model"].status == "SKIPPED"  # never reached in a finished run


def test_a_retry_that_succeeds_clears_the_failure_and_running_stages_show():
    events = [
        entered(1, "TaskStateEntered", "training: job", 0),
        ev(2, "TaskScheduled", 0, taskScheduledEventDetails={"resource": "x", "parameters": "{}"}),
        ev(3, "TaskFailed", 1, taskFailedEventDetails={"error": "ThrottlingException"}),
        ev(4, "TaskScheduled", 2, taskScheduledEventDetails={"resource": "x", "parameters": "{}"}),
        ev(5, "TaskSucceeded", 3),
        entered(6, "TaskStateEntered", "deploy: endpoint", 3),
    ]
    got = {s.stage: s for s in stages(events, "RUNNING")}
    assert got["training"].status == "SUCCEEDED" and got["training"].detail == ""
    assert got["deploy"].status == "RUNNING"
    assert got["evaluation"].status == "PENDING"


def test_find_task_token_only_while_waiting():
    scheduled = ev(2, "TaskScheduled", 0, taskScheduledEventDetails={
        "resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "parameters": '{"FunctionName": "sagestep-helper", "Payload": {"action": "approval", "token": "T1"}}'})
    events = [entered(1, "TaskStateEntered", "Approval", 0), scheduled, ev(3, "TaskSubmitted", 0)]
    assert find_task_token(events) == "T1"
    assert find_task_token([*events, ev(4, "TaskSucceeded", 1)]) is None


def test_titles_match_the_generic_state_machine():
    from sagestep.backends.progress import _TITLES
    from sagestep.pipeline.generic import TITLES

    assert dict(_TITLES) == dict(TITLES)


def test_a_caught_failure_that_the_machine_moves_past_is_not_a_failed_stage():
    events = [
        entered(1, "TaskStateEntered", "Register Group", 0),
        ev(2, "TaskScheduled", 0, taskScheduledEventDetails={"resource": "createModelPackageGroup",
                                                             "parameters": "{}"}),
        ev(3, "TaskFailed", 0, taskFailedEventDetails={"error": "SageMaker.ValidationException"}),
        exited(4, "TaskStateExited", "Register Group", 0),
        entered(5, "TaskStateEntered", "Register", 1),
        ev(6, "TaskScheduled", 1, taskScheduledEventDetails={"resource": "createModelPackage",
                                                             "parameters": "{}"}),
        ev(7, "TaskSucceeded", 2),
        exited(8, "TaskStateExited", "Register", 2),
        ev(9, "ExecutionSucceeded", 2),
    ]
    (register,) = stages(events, "SUCCEEDED", ["register"])
    assert (register.status, register.detail) == ("SUCCEEDED", "")


def test_generic_machine_failure_path_marks_the_stage_with_the_task_error():
    events = [
        entered(1, "ParallelStateEntered", "Training", 0),
        entered(2, "TaskStateEntered", "Run Training", 0),
        ev(3, "TaskScheduled", 0, taskScheduledEventDetails={"resource": "createTrainingJob.sync",
                                                             "parameters": "{}"}),
        ev(4, "TaskFailed", 3, taskFailedEventDetails={"error": "States.TaskFailed", "cause": "oom"}),
        ev(5, "ParallelStateFailed", 3),
        entered(6, "TaskStateEntered", "Training Retry?", 3),
        ev(7, "TaskScheduled", 3, taskScheduledEventDetails={"resource": "lambda:invoke",
                                                             "parameters": "{}"}),
        ev(8, "TaskSucceeded", 3),
        entered(9, "PassStateEntered", "Training Failed", 3),
        entered(10, "ChoiceStateEntered", "Notify Failure?", 3),
        ev(11, "ExecutionFailed", 4, executionFailedEventDetails={"error": "States.TaskFailed"}),
    ]
    got = {s.stage: s for s in stages(events, "FAILED", ["training"])}
    assert list(got) == ["training"]
    assert (got["training"].status, got["training"].detail) == ("FAILED", "States.TaskFailed: oom")


def test_a_deploy_waiting_for_its_endpoint_and_one_superseded():
    import json

    head = [ev(1, "ExecutionStarted", 0), entered(2, "ChoiceStateEntered", "Deploy?", 1),
            exited(3, "ChoiceStateExited", "Deploy?", 1),
            entered(4, "TaskStateEntered", "Find Endpoint", 1),
            exited(5, "TaskStateExited", "Find Endpoint", 2)]
    waiting = head + [entered(6, "WaitStateEntered", "Wait For Endpoint Turn", 2)]
    (deploy,) = [s for s in stages(waiting) if s.stage == "deploy"]
    assert deploy.status == "WAITING_FOR_ENDPOINT"
    assert deploy.detail.startswith("waiting for the endpoint: another run's deploy")
    reason = "skipped: endpoint ep already has ep-epc-2 from a run triggered after this one (x)"
    output = json.dumps({"results": {"deploy": {"Skipped": True, "Reason": reason}}})
    skipped = head + [entered(6, "PassStateEntered", "Deploy Skipped", 3),
                      ev(7, "PassStateExited", 3, stateExitedEventDetails={
                          "name": "Deploy Skipped", "output": output}),
                      ev(8, "ExecutionSucceeded", 3)]
    (deploy,) = [s for s in stages(skipped, "SUCCEEDED") if s.stage == "deploy"]
    assert (deploy.status, deploy.detail) == ("SUCCEEDED", reason)


def test_a_job_waiting_for_local_capacity_says_so():
    from sagestep.backends.runs import Runs

    class Sfn:
        def describe_execution(self, executionArn):  # noqa: N803
            return {"executionArn": executionArn, "name": "r", "status": "RUNNING",
                    "startDate": 0, "input": '{"stages": {"training": {"run": true}}}'}

        def get_execution_history(self, **kw):
            return {"events": [
                ev(1, "ExecutionStarted", 0), entered(2, "ParallelStateEntered", "Training", 1),
                ev(3, "TaskScheduled", 1, taskScheduledEventDetails={
                    "resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                    "parameters": '{"TrainingJobName": "t-1"}'})]}

    notes = {"t-1": "Waiting for local capacity: 2 of 2 slots in use, this job needs 1"}
    runs = Runs(Sfn(), "arn:aws:states:us-east-1:1:stateMachine:m", None, notes.get)
    (training,) = runs.stages("r")
    assert (training.status, training.detail) == ("WAITING_FOR_CAPACITY", notes["t-1"])
    notes.clear()  # admitted: it runs
    assert runs.stages("r")[0].status == "RUNNING"
