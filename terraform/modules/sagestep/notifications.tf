resource "aws_sns_topic" "notifications" {
  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.notification_emails)
  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_log_group" "notify" {
  name              = "/aws/lambda/${local.notify_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# Execution status changes -> the stage that ended the run (from the execution history) ->
# custom message -> SNS (seed 001's design, with its step_custom_message key bug fixed).
# TIMED_OUT and ABORTED runs can only be reported from here: the state machine is gone.
resource "aws_lambda_function" "notify" {
  #checkov:skip=CKV_AWS_117:The notifier only calls SNS; a VPC would add NAT cost and nothing to isolate.
  #checkov:skip=CKV_AWS_272:The zip is built by `sagestep package-lambda` in CI; code signing needs a Signer profile owned by the platform team.
  function_name                  = local.notify_name
  description                    = "sagestep: execution and stage status -> SNS"
  role                           = aws_iam_role.notify.arn
  runtime                        = var.lambda_runtime
  handler                        = "sagestep.triggers.notify.handler"
  filename                       = var.notify_zip_path
  source_code_hash               = filebase64sha256(var.notify_zip_path)
  timeout                        = 30
  memory_size                    = 128
  kms_key_arn                    = aws_kms_key.this.arn
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      SAGESTEP_TOPIC_ARN                  = aws_sns_topic.notifications.arn
      SAGESTEP_CUSTOM_NOTIFICATION_CONFIG = jsonencode(var.custom_notification_config)
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
    log_group  = aws_cloudwatch_log_group.notify.name
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy.notify]
}

resource "aws_cloudwatch_event_rule" "execution_status" {
  name        = "${var.name_prefix}-execution-status"
  description = "sagestep: status changes of the generic state machine"
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      stateMachineArn = [aws_sfn_state_machine.pipeline.arn]
      status          = var.notify_statuses
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "execution_status" {
  rule = aws_cloudwatch_event_rule.execution_status.name
  arn  = aws_lambda_function.notify.arn
}

resource "aws_lambda_permission" "execution_status" {
  statement_id  = "execution-status"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.notify.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.execution_status.arn
}
