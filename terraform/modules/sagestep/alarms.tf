# CloudWatch alarms that promotion targets' DeploymentConfig.AutoRollbackConfiguration names
# (sagestep.pipeline.promotion.alarm_names): "<endpoint>-5xx-errors" on the share of failed
# invocations and "<endpoint>-p99-latency" on ModelLatency's p99. A canary or linear update
# that sets one off goes back to the old fleet.
locals {
  error_alarms   = { for a in var.endpoint_alarms : a.endpoint => a if a.error_rate != null }
  latency_alarms = { for a in var.endpoint_alarms : a.endpoint => a if a.p99_latency_ms != null }
}

resource "aws_cloudwatch_metric_alarm" "endpoint_errors" {
  for_each            = local.error_alarms
  alarm_name          = "${each.key}-5xx-errors"
  alarm_description   = "sagestep: share of 5XX invocations of ${each.key} (deployment rollback)"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value.error_rate
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "errors / MAX([invocations, 1])"
    label       = "5XX share"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocation5XXErrors"
      period      = 60
      stat        = "Sum"
      dimensions  = { EndpointName = each.key, VariantName = each.value.variant }
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      period      = 60
      stat        = "Sum"
      dimensions  = { EndpointName = each.key, VariantName = each.value.variant }
    }
  }
  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "endpoint_latency" {
  for_each            = local.latency_alarms
  alarm_name          = "${each.key}-p99-latency"
  alarm_description   = "sagestep: p99 model latency of ${each.key} (deployment rollback)"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.p99_latency_ms * 1000 # ModelLatency is in microseconds
  treat_missing_data  = "notBreaching"
  dimensions          = { EndpointName = each.key, VariantName = each.value.variant }
  tags                = local.tags
}
