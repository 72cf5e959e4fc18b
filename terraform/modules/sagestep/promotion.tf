# Registry approvals start deploy pipelines (seed 003's approval -> deploy chain). The router
# starts every registered pipeline whose triggers.model_package names the package's group,
# with exactly the package the event names; the same change delivered twice starts one run.
# Rejections reach the router too: a config subscribing them redeploys the newest version still
# Approved (rollback by registry); configs that do not are left alone.
resource "aws_cloudwatch_event_rule" "model_package" {
  count       = var.deploy_on_approval ? 1 : 0
  name        = "${var.name_prefix}-model-package-approved"
  description = "sagestep: model package approved (or rejected) in the registry -> deploy pipeline"
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = ["SageMaker Model Package State Change"]
    detail = merge(
      { ModelApprovalStatus = ["Approved", "Rejected"] },
      length(var.approval_groups) > 0 ? { ModelPackageGroupName = var.approval_groups } : {}
    )
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "model_package" {
  count = var.deploy_on_approval ? 1 : 0
  rule  = aws_cloudwatch_event_rule.model_package[0].name
  arn   = aws_lambda_function.router.arn
}

resource "aws_lambda_permission" "model_package" {
  count         = var.deploy_on_approval ? 1 : 0
  statement_id  = "model-package-approved"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.model_package[0].arn
}
