# Pipeline configs: one item per (name, version); every put is a new version.
resource "aws_dynamodb_table" "configs" {
  name         = "${var.name_prefix}-pipeline-configs"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = local.table_hash_key
  range_key    = local.table_range_key

  attribute {
    name = local.table_hash_key
    type = "S"
  }

  attribute {
    name = local.table_range_key
    type = "N"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  tags = local.tags
}

resource "aws_s3_bucket" "artefacts" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket owned by the platform account; configure it there (server access logs are not a per-stack concern).
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice of the platform team; artefacts are reproducible from configs and data.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy_bucket
  tags          = local.tags
}

resource "aws_s3_bucket_versioning" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "artefacts" {
  bucket                  = aws_s3_bucket.artefacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "artefacts" {
  count  = var.noncurrent_version_expiration_days == null ? 0 : 1
  bucket = aws_s3_bucket.artefacts.id

  rule {
    id     = "tidy-versions-and-uploads"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artefacts]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artefacts.arn, "${aws_s3_bucket.artefacts.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  policy = data.aws_iam_policy_document.tls_only.json

  # S3 rejects a bucket policy while the public access block is being written.
  depends_on = [aws_s3_bucket_public_access_block.artefacts]
}

# Every object event of the bucket goes to the default event bus; the trigger rules below
# filter by prefix/suffix (S3 itself cannot filter EventBridge delivery).
resource "aws_s3_bucket_notification" "artefacts" {
  bucket      = aws_s3_bucket.artefacts.id
  eventbridge = true
}
