from sagestep.backends.runs import job_log_lines
from sagestep.errors import client_error


class Logs:
    """CloudWatch Logs as boto3 shapes it, paginated two events at a time."""

    def __init__(self, streams):
        self.streams = streams  # (group, stream) -> lines

    def describe_log_streams(self, logGroupName, logStreamNamePrefix=""):  # noqa: N803
        if not any(g == logGroupName for g, _ in self.streams):
            raise client_error("ResourceNotFoundException", "no group", "DescribeLogStreams")
        names = sorted(s for g, s in self.streams if g == logGroupName
                       and s.startswith(logStreamNamePrefix))
        return {"logStreams": [{"logStreamName": n} for n in names]}

    def get_log_events(self, logGroupName, logStreamName, startFromHead, nextToken=None):  # noqa: N803
        lines = self.streams[(logGroupName, logStreamName)]
        start = int(nextToken[2:]) if nextToken else 0
        page = lines[start:start + 2]
        return {"events": [{"message": m + "\n"} for m in page],
                "nextForwardToken": f"f/{start + len(page)}"}


TRAIN = "/aws/sagemaker/TrainingJobs"
PROC = "/aws/sagemaker/ProcessingJobs"


def test_lines_of_a_job_across_pages():
    logs = Logs({(PROC, "prep-1/algo-1-1"): ["a", "b", "c"], (TRAIN, "train-1/algo-1-1"): ["x"]})
    assert job_log_lines(logs, "prep-1") == ["a", "b", "c"]
    assert job_log_lines(logs, "train-1") == ["x"]
    assert job_log_lines(logs, "prep-10") is None  # a prefix of another job's name is not it


def test_a_tuning_job_shows_its_training_jobs():
    logs = Logs({(TRAIN, "tune-a-001-x/algo-1-1"): ["r1"], (TRAIN, "tune-a-002-y/algo-1-1"): ["r2"]})
    assert job_log_lines(logs, "tune-a") == ["[tune-a-001-x]", "r1", "[tune-a-002-y]", "r2"]
