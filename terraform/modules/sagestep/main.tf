data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  # Must match sagestep.stores.registry.DynamoDBConfigRegistry: one item per config version.
  table_hash_key  = "name"
  table_range_key = "version"

  bucket_name        = "${var.name_prefix}-artefacts-${local.account}-${local.region}"
  state_machine_name = "${var.name_prefix}-pipeline"
  router_name        = "${var.name_prefix}-router"
  notify_name        = "${var.name_prefix}-notify"
  helper_name        = coalesce(var.helper_function_name, "${var.name_prefix}-helper")

  # Known before the resources exist, so the Lambdas, the state machine and their policies
  # are created side by side instead of one after the other.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${local.state_machine_name}"
  helper_arn        = "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${local.helper_name}"

  data_bucket_arns = concat(
    [aws_s3_bucket.artefacts.arn],
    [for b in var.data_bucket_names : "arn:${local.partition}:s3:::${b}"],
  )

  tags = merge(var.tags, { "sagestep:stack" = var.name_prefix })
}
