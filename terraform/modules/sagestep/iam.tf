locals {
  sm_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account}"

  # Exactly the SageMaker actions the compiled state machine calls, per resource type
  # (tests/terraform/test_stack.py checks this against the definition).
  sagemaker_actions = {
    "training-job"               = ["CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob"]
    "processing-job"             = ["CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob"]
    "hyper-parameter-tuning-job" = ["CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob", "StopHyperParameterTuningJob"]
    "transform-job"              = ["CreateTransformJob", "DescribeTransformJob", "StopTransformJob"]
    "model"                      = ["CreateModel"]
    "endpoint-config"            = ["CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint"]
    "endpoint"                   = ["CreateEndpoint", "UpdateEndpoint", "DescribeEndpoint"]
    "model-package-group"        = ["CreateModelPackageGroup", "DescribeModelPackageGroup", "CreateModelPackage"]
    "model-package"              = ["CreateModelPackage"]
  }

  stack_tag = "sagestep:stack"
  # Resource types whose create request the helper Lambda renders with the stack tag.
  tagged_types = ["training-job", "processing-job", "hyper-parameter-tuning-job", "transform-job",
  "model", "model-package"]
  job_types = ["training-job", "processing-job", "hyper-parameter-tuning-job", "transform-job"]
  sagemaker_create_tagged = merge(
    { for t in local.tagged_types : t => [for a in local.sagemaker_actions[t] : a if startswith(a, "Create")] },
    { "endpoint-config" = ["CreateEndpointConfig"] },
  )
  sagemaker_use_tagged = merge(
    { for t in local.job_types : t => [for a in local.sagemaker_actions[t] : a if !startswith(a, "Create")] },
    # CreateEndpoint/UpdateEndpoint also authorise on the endpoint config they use: one
    # this stack created (tagged), not any config in the account.
    { "endpoint-config" = ["CreateEndpoint", "UpdateEndpoint"] },
  )
  sagemaker_untagged = {
    "endpoint"            = local.sagemaker_actions["endpoint"]
    "model-package-group" = local.sagemaker_actions["model-package-group"]
  }

  # Step Functions watches `.sync` jobs through these managed rules in the account
  # (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html).
  sync_rules = [
    "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    "StepFunctionsGetEventsForSageMakerTuningJobsRule",
    "StepFunctionsGetEventsForSageMakerTransformJobsRule",
  ]
}

data "aws_iam_policy_document" "assume" {
  for_each = {
    sagemaker     = "sagemaker.amazonaws.com"
    state_machine = "states.amazonaws.com"
    lambda        = "lambda.amazonaws.com"
  }
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [each.value]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

# ---------------------------------------------------------------- SageMaker execution role
resource "aws_iam_role" "sagemaker" {
  name               = "${var.name_prefix}-sagemaker"
  description        = "sagestep: role SageMaker jobs, models and endpoints run as"
  assume_role_policy = data.aws_iam_policy_document.assume["sagemaker"].json
  tags               = local.tags
}

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid       = "DataReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for arn in local.data_bucket_arns : "${arn}/*"]
  }
  statement {
    sid       = "DataList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = local.data_bucket_arns
  }
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
  }
  statement {
    # SageMaker grants itself use of the key for the volumes of jobs and endpoints; a grant
    # to anything else (a principal of the caller's choosing) is refused.
    sid       = "GrantsForAwsResourcesOnly"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    sid       = "JobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/sagemaker/*"]
  }
  statement {
    sid       = "JobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "aws/sagemaker/*"]
    }
  }
  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []
    content {
      sid       = "PullImages"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = var.ecr_repository_arns
    }
  }
  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []
    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "sagemaker" {
  name   = "sagestep-jobs"
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.sagemaker.json
}

# ------------------------------------------------- per-pipeline SageMaker execution roles
# The shared role above reads and writes every data bucket. A pipeline declared in
# var.pipeline_roles gets its own role limited to its S3 prefixes (by default
# <artefact bucket>/<pipeline>/, where its runs write); its config names it in
# defaults.role_arn (output pipeline_role_arns), so its jobs cannot read other pipelines' data.
resource "aws_iam_role" "pipeline" {
  for_each           = var.pipeline_roles
  name               = "${var.name_prefix}-job-${each.key}"
  description        = "sagestep: role the SageMaker jobs of pipeline ${each.key} run as"
  assume_role_policy = data.aws_iam_policy_document.assume["sagemaker"].json
  tags               = local.tags
}

locals {
  # pipeline -> ["bucket/prefix", ...] it may use
  pipeline_prefixes = {
    for name, role in var.pipeline_roles : name => concat(
      ["${local.bucket_name}/${name}"], [for p in role.s3_prefixes : trimsuffix(p, "/")]
    )
  }
}

data "aws_iam_policy_document" "pipeline" {
  for_each = var.pipeline_roles
  statement {
    sid       = "PipelineDataReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for p in local.pipeline_prefixes[each.key] : "arn:${local.partition}:s3:::${p}/*"]
  }
  dynamic "statement" {
    for_each = { for p in local.pipeline_prefixes[each.key] : p => split("/", p) }
    content {
      sid       = "List${substr(sha1(statement.key), 0, 8)}"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${statement.value[0]}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${join("/", slice(statement.value, 1, length(statement.value)))}/*"]
      }
    }
  }
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
  }
  statement {
    sid       = "GrantsForAwsResourcesOnly"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    sid       = "JobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/sagemaker/*"]
  }
  statement {
    sid       = "JobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "aws/sagemaker/*"]
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  for_each = var.pipeline_roles
  name     = "sagestep-pipeline-jobs"
  role     = aws_iam_role.pipeline[each.key].id
  policy   = data.aws_iam_policy_document.pipeline[each.key].json
}

# ------------------------------------------------------------------- state machine role
resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-state-machine"
  description        = "sagestep: role the generic state machine runs as"
  assume_role_policy = data.aws_iam_policy_document.assume["state_machine"].json
  tags               = local.tags
}

data "aws_iam_policy_document" "state_machine" {
  # What the helper renders (jobs, models, endpoint configs, model packages) carries the tag
  # sagestep:stack = name_prefix: creating one needs the tag in the request, and describing
  # or stopping a job needs it on the job, so this stack's machine cannot touch another
  # stack's (or a person's) SageMaker resources in the account.
  dynamic "statement" {
    for_each = local.sagemaker_create_tagged
    content {
      sid       = "Create${replace(title(replace(statement.key, "-", " ")), " ", "")}TaggedWithStack"
      actions   = [for a in statement.value : "sagemaker:${a}"]
      resources = ["${local.sm_arn}:${statement.key}/*"]
      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/${local.stack_tag}"
        values   = [var.name_prefix]
      }
    }
  }
  dynamic "statement" {
    for_each = local.sagemaker_use_tagged
    content {
      sid       = "Use${replace(title(replace(statement.key, "-", " ")), " ", "")}TaggedWithStack"
      actions   = [for a in statement.value : "sagemaker:${a}"]
      resources = ["${local.sm_arn}:${statement.key}/*"]
      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/${local.stack_tag}"
        values   = [var.name_prefix]
      }
    }
  }
  dynamic "statement" {
    # Endpoints and model package groups outlive runs and are found by name (the describe-
    # or-create of the deploy and register stages), so they cannot be required to carry a tag.
    for_each = local.sagemaker_untagged
    content {
      sid       = replace(title(replace(statement.key, "-", " ")), " ", "")
      actions   = [for a in statement.value : "sagemaker:${a}"]
      resources = ["${local.sm_arn}:${statement.key}/*"]
    }
  }
  statement {
    sid       = "TagOnCreateWithStackTag"
    actions   = ["sagemaker:AddTags"]
    resources = [for t in keys(local.sagemaker_actions) : "${local.sm_arn}:${t}/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.stack_tag}"
      values   = [var.name_prefix]
    }
  }
  statement {
    sid       = "ReadTags"
    actions   = ["sagemaker:ListTags"]
    resources = [for t in keys(local.sagemaker_actions) : "${local.sm_arn}:${t}/*"]
  }
  statement {
    # The deploy queue's latest_wins policy lists a pipeline's endpoint configs. SageMaker's
    # List* actions support no resource-level permissions, hence "*" (read-only, names only).
    sid       = "DeployQueueListConfigs"
    actions   = ["sagemaker:ListEndpointConfigs"]
    resources = ["*"]
  }
  statement {
    sid       = "PassJobRolesToSageMakerOnly"
    actions   = ["iam:PassRole"]
    resources = concat([aws_iam_role.sagemaker.arn], [for r in aws_iam_role.pipeline : r.arn])
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    sid       = "SyncManagedRules"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [for r in local.sync_rules : "arn:${local.partition}:events:${local.region}:${local.account}:rule/${r}"]
  }
  statement {
    sid       = "ReadEvaluationReports"
    actions   = ["s3:GetObject"]
    resources = [for arn in local.data_bucket_arns : "${arn}/*"]
  }
  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]
  }
  statement {
    # Gate checks, placeholder rendering and approval requests (lambda:invoke[.waitForTaskToken]).
    sid       = "InvokeHelper"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.helper_arn, "${local.helper_arn}:*"]
  }
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
  statement {
    sid = "LogDelivery"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []
    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "sagestep-orchestration"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# ------------------------------------------------------------------------- Lambda roles
resource "aws_iam_role" "router" {
  name               = "${var.name_prefix}-router"
  description        = "sagestep: role of the router Lambda"
  assume_role_policy = data.aws_iam_policy_document.assume["lambda"].json
  tags               = local.tags
}

data "aws_iam_policy_document" "router" {
  source_policy_documents = [data.aws_iam_policy_document.stack_lambda.json]
  statement {
    sid       = "ReadConfigs"
    actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [aws_dynamodb_table.configs.arn]
  }
  statement {
    sid       = "StartRuns"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }
  # model_source: the latest Approved package of a group, looked up when a run starts.
  statement {
    sid       = "ReadModelPackages"
    actions   = ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"]
    resources = ["arn:${local.partition}:sagemaker:${local.region}:${local.account}:model-package/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.router.arn}:*"]
  }
}

# What the router and the notification Lambda both need: the stack key (Decrypt: table,
# environment; GenerateDataKey: the encrypted dead-letter queue), the dead-letter queue and
# X-Ray when they are on. Merged into each role's own document.
data "aws_iam_policy_document" "stack_lambda" {
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
  dynamic "statement" {
    for_each = var.lambda_dead_letter_queue ? [1] : []
    content {
      sid       = "DeadLetters"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dead_letters[0].arn]
    }
  }
  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []
    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "router" {
  name   = "sagestep-router"
  role   = aws_iam_role.router.id
  policy = data.aws_iam_policy_document.router.json
}

resource "aws_iam_role" "notify" {
  name               = "${var.name_prefix}-notify"
  description        = "sagestep: role of the notification Lambda"
  assume_role_policy = data.aws_iam_policy_document.assume["lambda"].json
  tags               = local.tags
}

data "aws_iam_policy_document" "notify" {
  source_policy_documents = [data.aws_iam_policy_document.stack_lambda.json]
  statement {
    sid       = "Publish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]
  }
  statement {
    # Which stage ended the run, and how the stages went.
    sid       = "ReadRunHistory"
    actions   = ["states:GetExecutionHistory"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account}:execution:${local.state_machine_name}:*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.notify.arn}:*"]
  }
}

resource "aws_iam_role_policy" "notify" {
  name   = "sagestep-notify"
  role   = aws_iam_role.notify.id
  policy = data.aws_iam_policy_document.notify.json
}

resource "aws_iam_role" "helper" {
  name               = "${var.name_prefix}-helper"
  description        = "sagestep: role of the helper Lambda (pure computation: logs and its environment)"
  assume_role_policy = data.aws_iam_policy_document.assume["lambda"].json
  tags               = local.tags
}

data "aws_iam_policy_document" "helper" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.helper.arn}:*"]
  }
  statement {
    # Its environment (the stack name it tags rendered requests with) is encrypted with the key.
    sid       = "DecryptEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []
    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "helper" {
  name   = "sagestep-helper"
  role   = aws_iam_role.helper.id
  policy = data.aws_iam_policy_document.helper.json
}
