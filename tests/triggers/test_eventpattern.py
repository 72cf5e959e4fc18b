import pytest

from sagestep.triggers.eventpattern import PatternError, matches, validate

EVENT = {
    "source": "aws.s3",
    "detail-type": "Object Created",
    "detail": {
        "bucket": {"name": "landing"},
        "object": {"key": "incoming/a.csv", "size": 5},
        "source-ip-address": "10.0.0.7",
        "tags": ["x", "y"],
        "items": [{"k": "a"}, {"k": "b"}],
        "nothing": None,
        "empty": "",
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.s3"]}, True),
        ({"source": ["aws.ec2", "aws.s3"]}, True),
        ({"detail": {"object": {"key": [{"prefix": "incoming/"}]}}}, True),
        ({"detail": {"object": {"key": [{"suffix": ".parquet"}]}}}, False),
        ({"detail": {"object": {"size": [{"numeric": [">", 0]}]}}}, True),
        ({"detail": {"object": {"size": [{"numeric": [">", 0, "<=", 4]}]}}}, False),
        ({"detail": {"object": {"size": [5.0]}}}, False),  # exact numbers compare as text
        ({"detail": {"object": {"size": [5]}}}, True),
        ({"detail": {"object": {"version-id": [{"exists": False}]}}}, True),
        ({"detail": {"object": {"key": [{"exists": True}]}}}, True),
        ({"detail": {"object": {"key": ["incoming/A.csv"]}}}, False),
        ({"detail": {"object": {"key": [{"equals-ignore-case": "INCOMING/A.CSV"}]}}}, True),
        ({"detail": {"object": {"key": [{"prefix": {"equals-ignore-case": "INCOMING"}}]}}}, True),
        ({"detail": {"object": {"key": [{"suffix": {"equals-ignore-case": ".CSV"}}]}}}, True),
        ({"detail": {"object": {"key": [{"wildcard": "incoming/*.csv"}]}}}, True),
        ({"detail": {"object": {"key": [{"wildcard": "incoming/*.json"}]}}}, False),
        ({"detail": {"object": {"key": [{"anything-but": "incoming/a.csv"}]}}}, False),
        ({"detail": {"object": {"key": [{"anything-but": {"prefix": "tmp/"}}]}}}, True),
        ({"detail": {"object": {"key": [{"anything-but": ["x", "y"]}]}}}, True),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),
        ({"detail": {"source-ip-address": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"source-ip-address": [{"cidr": "10.0.1.0/24"}]}}, False),
        ({"detail": {"tags": ["y"]}}, True),
        ({"detail": {"tags": ["z"]}}, False),
        ({"detail": {"items": {"k": ["b"]}}}, True),
        ({"detail": {"nothing": [None]}}, True),
        ({"detail": {"empty": [None]}}, False),
        ({"detail": {"empty": [""]}}, True),
        ({"detail": {"$or": [{"object": {"key": [{"suffix": ".csv"}]}},
                             {"object": {"key": [{"suffix": ".json"}]}}]}}, True),
        ({"detail": {"$or": [{"object": {"key": [{"suffix": ".txt"}]}},
                             {"object": {"key": [{"suffix": ".json"}]}}]}}, False),
        ({"detail": {"bucket": {"name": ["landing"]}, "object": {"key": [{"prefix": "out/"}]}}},
         False),
    ],
)
def test_matching_follows_eventbridge(pattern, expected):
    validate(pattern)
    assert matches(pattern, EVENT) is expected


def test_literal_star_in_wildcard():
    assert matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "a*b"})
    assert not matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "axb"})


@pytest.mark.parametrize(
    ("pattern", "where"),
    [
        ({"detail": {"key": "incoming/"}}, "$.detail.key"),
        ({"detail": {"key": [{"prefx": "a"}]}}, "$.detail.key[0]"),
        ({"detail": {"key": [{"numeric": [">"]}]}}, "$.detail.key[0].numeric"),
        ({"detail": {"key": []}}, "$.detail.key"),
        ({"$or": [{"a": ["b"]}]}, "$.$or"),
        ({"ip": [{"cidr": "nonsense"}]}, "$.ip[0].cidr"),
        ([], "$"),
    ],
)
def test_invalid_patterns_name_the_key_path(pattern, where):
    with pytest.raises(PatternError, match=rf"^{__import__('re').escape(where)}:"):
        validate(pattern)
