variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"sagestep-dev\". Lower case letters, digits and hyphens; it also prefixes the bucket name, so keep it short."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of a-z, 0-9 and '-', start with a letter and not end with '-'."
  }
}

variable "state_machine_definition_file" {
  description = "Path to the compiled generic state machine (ASL JSON written by `sagestep compile --output FILE`). Deployed unchanged."
  type        = string

  validation {
    condition     = can(jsondecode(file(var.state_machine_definition_file)).StartAt)
    error_message = "state_machine_definition_file must name a readable ASL JSON file with a StartAt field; build it with `sagestep compile --output FILE`."
  }
}

variable "router_zip_path" {
  description = "Path to router.zip built by `sagestep package-lambda --out DIR`."
  type        = string

  validation {
    condition     = endswith(var.router_zip_path, ".zip")
    error_message = "router_zip_path must point at the router.zip built by `sagestep package-lambda`."
  }
}

variable "notify_zip_path" {
  description = "Path to notify.zip built by `sagestep package-lambda --out DIR`."
  type        = string

  validation {
    condition     = endswith(var.notify_zip_path, ".zip")
    error_message = "notify_zip_path must point at the notify.zip built by `sagestep package-lambda`."
  }
}

variable "helper_function_name" {
  description = "Name of the helper Lambda the compiled state machine calls (gate, rendering, approval); null means \"<name_prefix>-helper\". Compile with `sagestep compile --helper-function NAME`."
  type        = string
  default     = null

  validation {
    condition     = var.helper_function_name == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.helper_function_name))
    error_message = "helper_function_name must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the router and notification Lambdas (they use only the standard library and boto3)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be one of python3.11, python3.12, python3.13."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrent executions of each Lambda; caps a flood of uploads. -1 means unreserved."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || (var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency <= 1000)
    error_message = "lambda_reserved_concurrency must be -1 (unreserved) or between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine and Lambda log groups, in days (a CloudWatch Logs allowed value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "enable_tracing" {
  description = "Enable AWS X-Ray tracing on the state machine and the Lambdas."
  type        = bool
  default     = true
}

variable "s3_triggers" {
  description = "S3 upload triggers, keyed by a short rule name: an EventBridge rule on \"Object Created\" in `bucket` (default: the artefact bucket) whose key starts with `prefix` and ends with `suffix` passes the event, unchanged, to the router. Buckets other than the artefact bucket must have EventBridge notifications turned on by their owner."
  type = map(object({
    bucket = optional(string)
    prefix = optional(string, "")
    suffix = optional(string, "")
  }))
  default = {}

  validation {
    condition     = alltrue([for k, t in var.s3_triggers : can(regex("^[A-Za-z0-9_-]{1,32}$", k)) && (t.prefix != "" || t.suffix != "")])
    error_message = "s3_triggers keys must be 1-32 characters of A-Z, a-z, 0-9, '_' and '-', and each trigger needs a prefix or a suffix."
  }
}

variable "schedules" {
  description = "Scheduled runs, keyed by a short rule name: `pipeline` is the config name, `expression` an EventBridge cron(...) or rate(...) expression; the router receives {\"pipeline\": ..., \"trigger\": \"schedule\"} plus `input`."
  type = map(object({
    pipeline   = string
    expression = string
    input      = optional(map(string), {})
    enabled    = optional(bool, true)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, s in var.schedules : can(regex("^[A-Za-z0-9_-]{1,32}$", k)) && can(regex("^(cron\\(([^ ]+ ){5}[^ ]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", s.expression))])
    error_message = "schedules keys must be 1-32 characters of A-Z, a-z, 0-9, '_' and '-', and each expression must be cron(m h dom mon dow year) with six fields or rate(N unit)."
  }
}

variable "data_bucket_names" {
  description = "Other buckets the SageMaker jobs read and write (for example trigger buckets); the artefact bucket is always included."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.data_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))])
    error_message = "data_bucket_names must be S3 bucket names (3-63 characters of a-z, 0-9, '.' and '-')."
  }
}

variable "pipeline_roles" {
  description = "Pipelines that get their own SageMaker execution role, keyed by pipeline name: the role may use only s3://<artefact bucket>/<pipeline>/ and the `s3_prefixes` (\"bucket/prefix\") listed. Set the config's defaults.role_arn to its ARN (output pipeline_role_arns). Pipelines not listed use the shared role, which reaches every data bucket."
  type = map(object({
    s3_prefixes = optional(list(string), [])
  }))
  default = {}

  validation {
    condition = alltrue([for name, role in var.pipeline_roles :
      can(regex("^[a-zA-Z0-9-]{1,40}$", name)) &&
      alltrue([for p in role.s3_prefixes : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^*]+$", p))])
    ])
    error_message = "pipeline_roles keys must be 1-40 characters of letters, digits and '-', and each s3_prefixes entry \"bucket/prefix\" (a non-empty prefix, no wildcards)."
  }
}

variable "ecr_repository_arns" {
  description = "Private ECR repositories the SageMaker jobs pull images from; empty means AWS-provided images only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", a))])
    error_message = "ecr_repository_arns must be ECR repository ARNs (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)."
  }
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the notification topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

variable "notify_statuses" {
  description = "Execution statuses that produce a notification."
  type        = list(string)
  default     = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]

  validation {
    condition     = length(var.notify_statuses) > 0 && alltrue([for s in var.notify_statuses : contains(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"], s)])
    error_message = "notify_statuses must be a non-empty list of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED."
  }
}

variable "custom_notification_config" {
  description = "Custom messages per stage and status (seed 001's shape): step_name is a stage name or \"execution\" (\"*\" matches any), step_status a status such as Succeeded, Failed, Completed (\"*\" matches any)."
  type = list(object({
    step_name           = string
    step_status         = string
    step_custom_message = string
  }))
  default = []

  validation {
    condition     = alltrue([for c in var.custom_notification_config : length(c.step_custom_message) > 0 && length(c.step_custom_message) <= 1000])
    error_message = "custom_notification_config entries need a step_custom_message of 1-1000 characters."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the KMS key is deleted after destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "force_destroy_bucket" {
  description = "Let `terraform destroy` delete the artefact bucket with its objects (development only)."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten artefact versions are deleted; null leaves the bucket's lifecycle to another tool (no lifecycle configuration is written)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days == null || try(var.noncurrent_version_expiration_days >= 1, false)
    error_message = "noncurrent_version_expiration_days must be at least 1, or null."
  }
}

variable "lambda_dead_letter_queue" {
  description = "Send events the Lambdas fail to process (after EventBridge's and Lambda's retries) to an encrypted SQS queue instead of dropping them."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "retrain_on_breach" {
  description = "Route failed runs whose monitoring check found violations to the router, which starts the stage's retrain pipeline (once per breach)."
  type        = bool
  default     = true
}

variable "deploy_on_approval" {
  description = "Route \"SageMaker Model Package State Change\" events (status Approved or Rejected) to the router, which starts the pipelines whose triggers.model_package names the group."
  type        = bool
  default     = true
}

variable "approval_groups" {
  description = "Model package groups whose approvals reach the router (empty: every group; the router still starts only pipelines that name the group)."
  type        = list(string)
  default     = []
}

variable "endpoint_alarms" {
  description = "Rollback alarms of promotion targets with a deployment policy: per endpoint the error-rate share and/or p99 latency (ms) of its alarms block; names match the DeploymentConfig sagestep generates."
  type = list(object({
    endpoint       = string
    variant        = optional(string, "AllTraffic")
    error_rate     = optional(number)
    p99_latency_ms = optional(number)
  }))
  default = []
}
