"""follow_runs over a scripted backend: no engine, no timing, every path deterministic."""

from rich.console import Console

from sagestep.backends.base import RunInfo, StageInfo
from sagestep.cli.follow import follow_runs
from sagestep.cli.pipeline import combined_code, outcome


class Scripted:
    """Each run walks through its list of (status, stages) one step per describe_run."""

    def __init__(self, **scripts):
        self.scripts = scripts
        self.step = dict.fromkeys(scripts, 0)
        self.current = {}

    def describe_run(self, run):
        steps = self.scripts[run]
        status, stages = steps[min(self.step[run], len(steps) - 1)]
        self.step[run] += 1
        self.current[run] = stages
        return RunInfo(arn=run, name=run, status=status, pipeline=run.split("-")[0])

    def stages(self, run):
        return self.current[run]

    def logs(self, run, stage=None):
        return iter(())


RUNNING = ("RUNNING", [StageInfo("training", "RUNNING", 0.0)])
DONE = ("SUCCEEDED", [StageInfo("training", "SUCCEEDED", 0.0, 1.0)])
WAITING = ("RUNNING", [StageInfo("training", "SUCCEEDED", 0.0, 1.0),
                       StageInfo("approval", "WAITING_FOR_APPROVAL", 1.0)])


def console():
    return Console(record=True, width=200, color_system=None, force_terminal=False)


def test_runs_are_followed_together_and_reported_as_each_ends():
    backend = Scripted(**{"a-1": [RUNNING, RUNNING, DONE], "b-1": [WAITING]})
    ended, sleeps = [], []
    result = follow_runs(backend, ["a-1", "b-1"], con := console(), stop_at_approval=True,
                         on_end=ended.append, sleep=sleeps.append)
    assert [f.info.name for f in ended] == ["a-1"]
    assert [(f.info.status, f.waiting) for f in result] == [("SUCCEEDED", False), ("RUNNING", True)]
    assert len(sleeps) == 2  # stopped as soon as a-1 ended and b-1 only waits for an answer
    text = con.export_text()
    assert "b-1  approval         WAITING_FOR_APPROVAL\n" in text
    assert "b-1                   waiting for approval: answer with `sagestep approve b-1`" in text
    assert backend.step["b-1"] == 3 and backend.step["a-1"] == 3  # a-1 not polled once ended


def test_without_stop_at_approval_following_goes_on_until_the_timeout():
    backend = Scripted(**{"b-1": [WAITING]})
    sleeps = []
    (result,) = follow_runs(backend, ["b-1"], con := console(), timeout=0,
                            sleep=sleeps.append)
    assert result.waiting and sleeps == []
    assert con.export_text().startswith("training         SUCCEEDED")  # one run: no prefix
    assert outcome(con, result) == 4


def test_still_running_exits_3_and_the_worst_code_wins():
    backend = Scripted(**{"a-1": [RUNNING]})
    (result,) = follow_runs(backend, ["a-1"], con := console(), timeout=0)
    assert not result.waiting
    assert outcome(con, result) == 3
    assert con.export_text().splitlines()[-1] == (
        "a-1 still RUNNING (follow it with `sagestep status a-1`)")
    assert [combined_code(c) for c in ({0}, {0, 4}, {3, 4}, {1, 3, 4})] == [0, 4, 3, 1]


def test_ctrl_c_stops_following_but_not_the_runs():
    backend = Scripted(**{"a-1": [RUNNING]})

    def interrupt(_seconds):
        raise KeyboardInterrupt

    (result,) = follow_runs(backend, ["a-1"], con := console(), sleep=interrupt)
    assert result.info.status == "RUNNING"
    assert "stopped following (the runs go on)" in con.export_text()
