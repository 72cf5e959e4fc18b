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
  #     name = "sagestep-dev"
  #   }
  # }
  #
  # S3 backend with native locking (Terraform >= 1.10; use dynamodb_table on older versions):
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "sagestep/dev/terraform.tfstate"
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
      environment = "dev"
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

  # Development: let destroy remove the bucket with its objects.
  force_destroy_bucket     = true
  kms_deletion_window_days = 7

  s3_triggers = {
    churn = { prefix = "incoming/churn/", suffix = ".csv" }
  }

  custom_notification_config = [
    { step_name = "approval", step_status = "Waiting", step_custom_message = "A model waits for your approval: run `sagestep approve`." },
    { step_name = "execution", step_status = "FAILED", step_custom_message = "The dev pipeline failed; see the state machine log group." },
  ]

  # The example pipeline's jobs run as a role limited to its own S3 prefixes (put the
  # output pipeline_role_arns["xgboost-breast-cancer"] in its defaults.role_arn).
  pipeline_roles = {
    "xgboost-breast-cancer" = { s3_prefixes = ["sagestep-examples/xgboost-breast-cancer"] }
  }

  notification_emails = var.notification_emails
  tags                = { owner = "ml-platform" }
}

resource "aws_dynamodb_table_item" "pipeline" {
  for_each   = local.pipeline_files
  table_name = module.sagestep.config_table
  hash_key   = "name"
  range_key  = "version"
  item       = file("${path.module}/pipelines/${each.value}")
}
