output "artefact_bucket" {
  description = "Artefact bucket; upload to incoming/churn/*.csv to start the churn pipeline."
  value       = module.sagestep.artefact_bucket
}

output "config_table" {
  description = "Pipeline config table."
  value       = module.sagestep.config_table
}

output "state_machine_arn" {
  description = "Generic state machine."
  value       = module.sagestep.state_machine_arn
}

output "router_function_arn" {
  description = "Router Lambda."
  value       = module.sagestep.router_function_arn
}

output "notification_topic_arn" {
  description = "SNS notification topic."
  value       = module.sagestep.notification_topic_arn
}

output "sagemaker_execution_role_arn" {
  description = "Role SageMaker jobs run as."
  value       = module.sagestep.sagemaker_execution_role_arn
}

output "helper_function_arn" {
  description = "Helper Lambda the state machine calls (`sagestep deploy` compiles for it)."
  value       = module.sagestep.helper_function_arn
}

output "state_machine_role_arn" {
  description = "Role of the state machine (`sagestep deploy` creates the machine with it if missing)."
  value       = module.sagestep.state_machine_role_arn
}
