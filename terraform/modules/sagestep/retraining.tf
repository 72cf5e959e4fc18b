# Monitoring breaches start retraining (seed 001's loop). A data_quality or model_quality stage
# with on_violation = fail ends the run with error Sagestep.MonitoringViolations; only those
# failures reach the router, which starts the stage's `retrain` pipeline
# with the failed execution as its trigger (the same event twice starts one run).
resource "aws_cloudwatch_event_rule" "breach" {
  count       = var.retrain_on_breach ? 1 : 0
  name        = "${var.name_prefix}-monitoring-breach"
  description = "sagestep: runs failed by a monitoring check -> retraining"
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      stateMachineArn = [aws_sfn_state_machine.pipeline.arn]
      status          = ["FAILED"]
      error           = ["Sagestep.MonitoringViolations"]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "breach" {
  count = var.retrain_on_breach ? 1 : 0
  rule  = aws_cloudwatch_event_rule.breach[0].name
  arn   = aws_lambda_function.router.arn
}

resource "aws_lambda_permission" "breach" {
  count         = var.retrain_on_breach ? 1 : 0
  statement_id  = "monitoring-breach"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.breach[0].arn
}
