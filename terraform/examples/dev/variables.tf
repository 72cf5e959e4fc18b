variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "sagestep-dev"
}

variable "state_machine_definition_file" {
  description = "Compiled generic state machine (`sagestep compile --out build/state-machine.json`)."
  type        = string
  default     = "../../../build/state-machine.json"
}

variable "lambda_dir" {
  description = "Directory holding router.zip and notify.zip (`sagestep package-lambda --out build/lambda`)."
  type        = string
  default     = "../../../build/lambda"
}

variable "notification_emails" {
  description = "E-mail addresses that receive pipeline notifications."
  type        = list(string)
  default     = []
}
