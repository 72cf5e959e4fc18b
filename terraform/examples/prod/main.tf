terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0, < 6.0.0"
    }
  }

  # Remote state: pick one and remove the comments (local state otherwise).
  #
  # Terraform Cloud / HCP Terraform (seed 000's set-up: the VCS repo drives the workspace):
  # cloud {
  #   organization = "my-org"
  #   workspaces {
  #     name = "sagestep-prod"
  #   }
  # }
  #
  # S3 backend with native locking (Terraform >= 1.10; use dynamodb_table on older versions):
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "sagestep/prod/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "sagestep"
      environment = "prod"
    }
  }
}

locals {
  # One DynamoDB-typed JSON item per pipeline config, written by
  # `sagestep export-item CONFIG.yaml --out pipelines/` (DynamoDBConfigRegistry's layout).
  pipeline_files = fileset("${path.module}/pipelines", "*.json")
}

module "sagestep" {
  source = "../../modules/sagestep"

  name_prefix                   = var.name_prefix
  state_machine_definition_file = var.state_machine_definition_file
  router_zip_path               = "${var.lambda_dir}/router.zip"
  notify_zip_path               = "${var.lambda_dir}/notify.zip"

  # Production: keep artefacts on destroy, keep the key for the full 30-day window.
  force_destroy_bucket     = false
  kms_deletion_window_days = 30
  log_retention_days       = 731
  enable_tracing           = true

  s3_triggers = {
    churn = { prefix = "incoming/churn/", suffix = ".csv" }
    house = { bucket = var.landing_bucket, prefix = "house-price/" }
  }
  data_bucket_names = [var.landing_bucket]

  # Seed 000's weekly retraining, as a schedule on the router.
  schedules = {
    weekly-house = { pipeline = "house-price", expression = "cron(0 14 ? * SAT *)" }
  }

  notify_statuses = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
  custom_notification_config = [
    { step_name = "approval", step_status = "Waiting", step_custom_message = "A production model waits for approval: run `sagestep approve --backend aws`." },
    { step_name = "gate", step_status = "Failed", step_custom_message = "The new model did not pass the metric gate; the endpoint was not updated." },
    { step_name = "execution", step_status = "FAILED", step_custom_message = "The production pipeline failed; on-call: check the state machine log group." },
  ]

  notification_emails = var.notification_emails
  tags                = { owner = "ml-platform", cost-center = "ml" }

  # Rollback alarms of the promotion's prod target (examples/promotion/deploy.yaml).
  endpoint_alarms = [{ endpoint = "promotion-prod", error_rate = 0.05 }]
}

resource "aws_dynamodb_table_item" "pipeline" {
  for_each   = local.pipeline_files
  table_name = module.sagestep.config_table
  hash_key   = "name"
  range_key  = "version"
  item       = file("${path.module}/pipelines/${each.value}")
}
