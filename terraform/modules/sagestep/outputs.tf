output "artefact_bucket" {
  description = "Name of the artefact bucket (KMS-encrypted, versioned, EventBridge notifications on)."
  value       = aws_s3_bucket.artefacts.bucket
}

output "artefact_bucket_arn" {
  description = "ARN of the artefact bucket."
  value       = aws_s3_bucket.artefacts.arn
}

output "config_table" {
  description = "Name of the DynamoDB pipeline config table (hash key name, range key version)."
  value       = aws_dynamodb_table.configs.name
}

output "config_table_arn" {
  description = "ARN of the DynamoDB pipeline config table."
  value       = aws_dynamodb_table.configs.arn
}

output "state_machine_arn" {
  description = "ARN of the generic state machine."
  value       = aws_sfn_state_machine.pipeline.arn
}

output "state_machine_log_group" {
  description = "CloudWatch log group of the state machine."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "router_function_arn" {
  description = "ARN of the router Lambda."
  value       = aws_lambda_function.router.arn
}

output "router_function_name" {
  description = "Name of the router Lambda."
  value       = aws_lambda_function.router.function_name
}

output "helper_function_arn" {
  description = "ARN of the helper Lambda the state machine calls."
  value       = aws_lambda_function.helper.arn
}

output "notify_function_arn" {
  description = "ARN of the notification Lambda."
  value       = aws_lambda_function.notify.arn
}

output "notification_topic_arn" {
  description = "ARN of the SNS notification topic."
  value       = aws_sns_topic.notifications.arn
}

output "kms_key_arn" {
  description = "ARN of the stack's KMS key."
  value       = aws_kms_key.this.arn
}

output "sagemaker_execution_role_arn" {
  description = "ARN of the role SageMaker jobs, models and endpoints run as."
  value       = aws_iam_role.sagemaker.arn
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's role."
  value       = aws_iam_role.state_machine.arn
}

output "router_role_arn" {
  description = "ARN of the router Lambda's role."
  value       = aws_iam_role.router.arn
}

output "notify_role_arn" {
  description = "ARN of the notification Lambda's role."
  value       = aws_iam_role.notify.arn
}

output "helper_role_arn" {
  description = "ARN of the helper Lambda's role."
  value       = aws_iam_role.helper.arn
}

output "pipeline_role_arns" {
  description = "Pipeline name -> ARN of its own SageMaker execution role (var.pipeline_roles); put it in the config's defaults.role_arn."
  value       = { for name, role in aws_iam_role.pipeline : name => role.arn }
}
