resource "aws_cloudwatch_log_group" "router" {
  name              = "/aws/lambda/${local.router_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sqs_queue" "dead_letters" {
  count                     = var.lambda_dead_letter_queue ? 1 : 0
  name                      = "${var.name_prefix}-lambda-dead-letters"
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = local.tags
}

# The router turns every trigger event into one execution of the generic state machine.
resource "aws_lambda_function" "router" {
  #checkov:skip=CKV_AWS_117:The router only calls AWS APIs (DynamoDB, Step Functions); a VPC would add NAT cost and nothing to isolate.
  #checkov:skip=CKV_AWS_272:The zip is built by `sagestep package-lambda` in CI; code signing needs a Signer profile owned by the platform team.
  function_name                  = local.router_name
  description                    = "sagestep: trigger event -> pipeline execution"
  role                           = aws_iam_role.router.arn
  runtime                        = var.lambda_runtime
  handler                        = "sagestep.triggers.router.handler"
  filename                       = var.router_zip_path
  source_code_hash               = filebase64sha256(var.router_zip_path)
  timeout                        = 60
  memory_size                    = 256
  kms_key_arn                    = aws_kms_key.this.arn
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      SAGESTEP_CONFIG_TABLE      = aws_dynamodb_table.configs.name
      SAGESTEP_STATE_MACHINE_ARN = local.state_machine_arn
    }
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  dynamic "dead_letter_config" {
    for_each = var.lambda_dead_letter_queue ? [1] : []
    content {
      target_arn = aws_sqs_queue.dead_letters[0].arn
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.router.name
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy.router]
}

# S3 uploads: "Object Created" events from EventBridge, passed through unchanged so the
# bucket and key reach the run (seed 000's input transformer dropped them).
resource "aws_cloudwatch_event_rule" "s3_trigger" {
  for_each    = var.s3_triggers
  name        = "${var.name_prefix}-s3-${each.key}"
  description = "sagestep: uploads to s3://${coalesce(each.value.bucket, local.bucket_name)}/${each.value.prefix}*${each.value.suffix}"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [coalesce(each.value.bucket, aws_s3_bucket.artefacts.bucket)] }
      # One array element is one OR-ed condition, so prefix AND suffix needs a wildcard.
      object = { key = [
        each.value.prefix != "" && each.value.suffix != ""
        ? { wildcard = "${replace(each.value.prefix, "*", "\\*")}*${replace(each.value.suffix, "*", "\\*")}" }
        : each.value.prefix != "" ? { prefix = each.value.prefix } : { suffix = each.value.suffix }
      ] }
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "s3_trigger" {
  for_each = var.s3_triggers
  rule     = aws_cloudwatch_event_rule.s3_trigger[each.key].name
  arn      = aws_lambda_function.router.arn
}

resource "aws_lambda_permission" "s3_trigger" {
  for_each      = var.s3_triggers
  statement_id  = "s3-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.s3_trigger[each.key].arn
}

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each            = var.schedules
  name                = "${var.name_prefix}-schedule-${each.key}"
  description         = "sagestep: run ${each.value.pipeline} on ${each.value.expression}"
  schedule_expression = each.value.expression
  state               = each.value.enabled ? "ENABLED" : "DISABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = var.schedules
  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = aws_lambda_function.router.arn
  input    = jsonencode(merge(each.value.input, { pipeline = each.value.pipeline, trigger = "schedule" }))
}

resource "aws_lambda_permission" "schedule" {
  for_each      = var.schedules
  statement_id  = "schedule-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}

resource "aws_cloudwatch_log_group" "helper" {
  name              = "/aws/lambda/${local.helper_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# The helper Lambda the state machine calls for what ASL cannot do alone (gate checks on
# evaluation.json, run-time placeholders, approval requests). Same zip as the router.
resource "aws_lambda_function" "helper" {
  #checkov:skip=CKV_AWS_117:The helper computes only (no AWS calls); a VPC would add nothing to isolate.
  #checkov:skip=CKV_AWS_272:The zip is built by `sagestep package-lambda` in CI; code signing needs a Signer profile owned by the platform team.
  #checkov:skip=CKV_AWS_116:Step Functions invokes the helper synchronously (RequestResponse); a dead-letter queue only receives failed asynchronous invocations.
  function_name                  = local.helper_name
  description                    = "sagestep: gate checks, run-time placeholders, approval requests"
  role                           = aws_iam_role.helper.arn
  runtime                        = var.lambda_runtime
  handler                        = "sagestep.pipeline.helper.handler"
  kms_key_arn                    = aws_kms_key.this.arn
  filename                       = var.router_zip_path
  source_code_hash               = filebase64sha256(var.router_zip_path)
  timeout                        = 30
  memory_size                    = 256
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    # Rendered SageMaker requests carry the tag sagestep:stack = this value, which the state
    # machine role's SageMaker permissions require.
    variables = {
      SAGESTEP_STACK = var.name_prefix
    }
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.helper.name
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy.helper]
}
