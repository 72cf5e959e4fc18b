resource "aws_cloudwatch_log_group" "state_machine" {
  # The /aws/vendedlogs/ prefix keeps the CloudWatch Logs resource policy that Step Functions
  # writes small (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# The generic state machine: the compiled ASL file, deployed unchanged (the same file runs
# in the local engine). Standard type: SageMaker `.sync` tasks are not allowed in Express.
resource "aws_sfn_state_machine" "pipeline" {
  name       = local.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD"
  definition = file(var.state_machine_definition_file)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = var.enable_tracing
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = strcontains(file(var.state_machine_definition_file), "\"${local.helper_name}\"")
      error_message = "The state machine definition does not call the helper Lambda \"${local.helper_name}\": compile it with `sagestep compile --helper-function ${local.helper_name}`."
    }
  }

  # The role's policy must exist before Step Functions checks log delivery permissions.
  depends_on = [aws_iam_role_policy.state_machine]
}
