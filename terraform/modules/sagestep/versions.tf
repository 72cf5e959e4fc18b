terraform {
  required_version = ">= 1.5.0"

  required_providers {
    # Only hashicorp/aws is used: the module must init from an offline plugin directory
    # (no archive provider; Lambda zips come from `sagestep package-lambda`).
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0, < 6.0.0"
    }
  }
}
