"""Terraform's hashicorp/aws provider manages S3 on sagestep's local AWS API: an aws_s3_bucket
with tags, its public access block, ownership controls and (suspended) versioning, a folder
object and a tagged object apply, plan clean (no drift from the bucket configuration reads)
and destroy, force_destroy emptying objects Terraform does not manage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sagestep.api.server import ApiEndpoint, ApiServer
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace
from tests.api.conftest import make_client
from tests.terraform import tf

pytestmark = [pytest.mark.terraform, pytest.mark.slow,
              pytest.mark.skipif(tf.missing() is not None, reason=tf.missing() or "")]

MAIN_TF = """
provider "aws" {{
  region                      = "{region}"
  access_key                  = "{access_key}"
  secret_key                  = "{secret_key}"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    s3 = "{url}"
  }}
}}

resource "aws_s3_bucket" "data" {{
  bucket        = "tf-data"
  force_destroy = true
  tags          = {{ team = "ml" }}
}}

resource "aws_s3_bucket_public_access_block" "data" {{
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_ownership_controls" "data" {{
  bucket = aws_s3_bucket.data.id
  rule {{
    object_ownership = "BucketOwnerEnforced"
  }}
}}

resource "aws_s3_bucket_versioning" "data" {{
  bucket = aws_s3_bucket.data.id
  versioning_configuration {{
    status = "Suspended"
  }}
}}

resource "aws_s3_object" "folder" {{
  bucket  = aws_s3_bucket.data.id
  key     = "train/"
  content = ""
}}

resource "aws_s3_object" "rows" {{
  bucket  = aws_s3_bucket.data.id
  key     = "train/rows.csv"
  content = "a,b\\n1,2\\n"
  tags    = {{ stage = "raw" }}
}}
"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEndpoint]:
    rt = LocalRuntime(Workspace.resolve(tmp_path_factory.mktemp("ws")))
    server = ApiServer(rt)
    yield server.start()
    server.stop()


def test_bucket_apply_plan_destroy(endpoint: ApiEndpoint, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF.format(
        region=endpoint.region, access_key=endpoint.access_key, secret_key=endpoint.secret_key,
        url=endpoint.url))
    tf.init(tmp_path)
    tf.run(["apply", "-auto-approve", "-no-color"], tmp_path)
    s3: Any = make_client(endpoint, "s3")
    assert s3.get_bucket_tagging(Bucket="tf-data")["TagSet"] == [{"Key": "team", "Value": "ml"}]
    listed = s3.list_objects_v2(Bucket="tf-data")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("train/", 0), ("train/rows.csv", 8)]
    assert s3.get_object_tagging(Bucket="tf-data", Key="train/rows.csv")["TagSet"] == [
        {"Key": "stage", "Value": "raw"}]
    assert s3.get_bucket_versioning(Bucket="tf-data")["Status"] == "Suspended"
    plan = tf.run(["plan", "-detailed-exitcode", "-no-color"], tmp_path)  # exit 2 (drift) raises
    assert "No changes" in plan.stdout
    s3.put_object(Bucket="tf-data", Key="written/by/a/job.json", Body=b"{}")
    tf.run(["destroy", "-auto-approve", "-no-color"], tmp_path)
    assert "tf-data" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
