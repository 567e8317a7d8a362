# logsvc on AWS: the "Log Service Platform" deployment, two Lambda functions
# behind function URLs on one DynamoDB table, with the original's names and
# table schema. Both functions run the same binary (`bootstrap`, built by
# scripts/package-lambda.sh); the function's handler (_HANDLER) selects what
# it serves.
#
# Inputs are in variables.tf, outputs in outputs.tf, deploy steps in README.md.
# tests/infrastructure/test_terraform.mjs checks this file's structure, and every
# argument and block against the AWS provider's schema (hashicorp/aws 6.25.0,
# plus the newer arguments it lists with their releases).

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.28.0 is the first release whose aws_lambda_permission has
      # `invoked_via_function_url` (provider CHANGELOG, #44858): function URLs
      # created since October 2025 answer 403 to every request unless the
      # function's policy also grants lambda:InvokeFunction via the URL (see
      # the permissions below). The 5.x line cannot express that statement.
      version = "~> 6.28"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

locals {
  name_prefix = "${var.project_name}-${var.environment}"

  table_name                = "${local.name_prefix}-logs"
  ingest_function_name      = "${local.name_prefix}-ingest"
  read_recent_function_name = "${local.name_prefix}-read-recent"
}

# -----------------------------------------------------------------------------
# DynamoDB: the original's schema, unchanged.
#   table: logId (S) hash, timestamp (N, Unix ms) range
#   GSI TimestampIndex: type (S; the constant "LOG" in the original) hash,
#   timestamp (N) range, projection ALL: the newest entries with one Query
#   (LOGSVC_DYNAMODB_INDEX_SHARDS below tells the functions how many "type"
#   values to spread entries over).
# -----------------------------------------------------------------------------

resource "aws_dynamodb_table" "logs" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "logId"
  range_key    = "timestamp"

  # Only key attributes are declared; severity, message and datetime are
  # ordinary item attributes.
  attribute {
    name = "logId"
    type = "S"
  }

  attribute {
    name = "timestamp"
    type = "N"
  }

  attribute {
    name = "type"
    type = "S"
  }

  global_secondary_index {
    name            = "TimestampIndex"
    hash_key        = "type"
    range_key       = "timestamp"
    projection_type = "ALL"
  }

  # Encryption at rest with a KMS key (the AWS-managed aws/dynamodb key, as no
  # kms_key_arn is given) rather than the default DynamoDB-owned key.
  server_side_encryption {
    enabled = true
  }

  point_in_time_recovery {
    enabled = var.enable_point_in_time_recovery
  }

  # Retention: an item that carries this attribute (a Number, Unix epoch
  # SECONDS, not milliseconds like `timestamp`) is deleted by DynamoDB some time
  # after that instant, at no write cost. Items without it are kept forever.
  ttl {
    attribute_name = var.ttl_attribute_name
    enabled        = true
  }
}

# -----------------------------------------------------------------------------
# CloudWatch log groups, created before the functions (depends_on below) so
# Terraform owns their retention and the functions need no logs:CreateLogGroup.
# -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "ingest" {
  name              = "/aws/lambda/${local.ingest_function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "read_recent" {
  name              = "/aws/lambda/${local.read_recent_function_name}"
  retention_in_days = var.log_retention_days
}

# -----------------------------------------------------------------------------
# IAM: one role per function, each allowed exactly the calls its handler
# makes, on this table (and index) only. No managed policies: the usual
# AWSLambdaBasicExecutionRole grants logs:* on "*".
# -----------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ingest" {
  name               = "${local.ingest_function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role" "read_recent" {
  name               = "${local.read_recent_function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

# Log streams: Lambda names each stream at run time ("2026/01/28/[$LATEST]<id>"),
# so the streams of the function's OWN log group are granted with the log
# group ARN plus ":*", the form AWS documents for stream-level actions. That
# suffix is the only wildcard in either policy.

data "aws_iam_policy_document" "ingest" {
  # PutItem for one entry and for an Idempotency-Key's record, BatchWriteItem
  # for batches and the shippers' formats.
  statement {
    sid       = "PutLogEntries"
    effect    = "Allow"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.logs.arn]
  }

  # Query (by logId) to read an Idempotency-Key's record back: only those
  # items ("once#..."), so the ingest function cannot read the entries.
  statement {
    sid       = "ReadIdempotencyRecords"
    effect    = "Allow"
    actions   = ["dynamodb:Query"]
    resources = [aws_dynamodb_table.logs.arn]
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["once#*"]
    }
  }

  statement {
    sid       = "WriteOwnLogStreams"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.ingest.arn}:*"]
  }
}

data "aws_iam_policy_document" "read_recent" {
  # The index for the newest entries; the table itself for one entry by logId
  # (Query on the hash key, as the timestamp of the range key is not known).
  statement {
    sid     = "QueryLogEntries"
    effect  = "Allow"
    actions = ["dynamodb:Query"]
    resources = [
      aws_dynamodb_table.logs.arn,
      "${aws_dynamodb_table.logs.arn}/index/TimestampIndex",
    ]
  }

  statement {
    sid       = "WriteOwnLogStreams"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.read_recent.arn}:*"]
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "${local.ingest_function_name}-policy"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_iam_role_policy" "read_recent" {
  name   = "${local.read_recent_function_name}-policy"
  role   = aws_iam_role.read_recent.id
  policy = data.aws_iam_policy_document.read_recent.json
}

# -----------------------------------------------------------------------------
# Lambda functions: one zip, one binary, two handlers. The zip must be built
# for var.architecture (scripts/package-lambda.sh builds for the machine it
# runs on).
# -----------------------------------------------------------------------------

resource "aws_lambda_function" "ingest" {
  function_name = local.ingest_function_name
  description   = "logsvc: POST a log entry (${local.name_prefix})"
  role          = aws_iam_role.ingest.arn

  runtime          = "provided.al2023"
  handler          = "ingest"
  architectures    = [var.architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)

  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      DYNAMODB_TABLE_NAME          = aws_dynamodb_table.logs.name
      LOGSVC_DYNAMODB_INDEX_SHARDS = var.dynamodb_index_shards
      LOGSVC_AUTH_KEY_HASHES       = var.auth_key_hashes
      LOGSVC_RETENTION_DAYS        = var.retention_days
    }
  }

  # The log group (with its retention) must exist before the first invocation
  # creates one without; the policy before the first call needs it.
  depends_on = [
    aws_cloudwatch_log_group.ingest,
    aws_iam_role_policy.ingest,
  ]
}

resource "aws_lambda_function" "read_recent" {
  function_name = local.read_recent_function_name
  description   = "logsvc: GET the most recent log entries (${local.name_prefix})"
  role          = aws_iam_role.read_recent.arn

  runtime          = "provided.al2023"
  handler          = "read_recent"
  architectures    = [var.architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)

  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      DYNAMODB_TABLE_NAME          = aws_dynamodb_table.logs.name
      LOGSVC_DYNAMODB_INDEX_SHARDS = var.dynamodb_index_shards
      LOGSVC_AUTH_KEY_HASHES       = var.auth_key_hashes
      LOGSVC_RETENTION_DAYS        = var.retention_days
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.read_recent,
    aws_iam_role_policy.read_recent,
  ]
}

# -----------------------------------------------------------------------------
# Function URLs, as in the original. CORS is answered by Lambda itself
# (preflight OPTIONS never reaches the function).
# -----------------------------------------------------------------------------

resource "aws_lambda_function_url" "ingest" {
  function_name      = aws_lambda_function.ingest.function_name
  authorization_type = var.function_url_auth_type

  cors {
    allow_origins = ["*"]
    allow_methods = ["POST"]
    allow_headers = ["content-type", "authorization", "x-api-key", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
    max_age       = 86400
  }
}

resource "aws_lambda_function_url" "read_recent" {
  function_name      = aws_lambda_function.read_recent.function_name
  authorization_type = var.function_url_auth_type

  cors {
    allow_origins = ["*"]
    allow_methods = ["GET"]
    allow_headers = ["content-type", "authorization", "x-api-key", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
    max_age       = 86400
  }
}

# Public access (authorization type NONE) needs two statements in the
# function's resource policy: lambda:InvokeFunctionUrl for URLs of auth type
# NONE, and (since October 2025) lambda:InvokeFunction limited to calls that
# come through the function URL. The provider adds both, untracked, when it
# creates a URL of type NONE; declaring them here keeps them in state, removes
# them on destroy, and adds them when the type later changes from AWS_IAM to
# NONE. Distinct statement ids, so they never collide with the automatic ones.
# With AWS_IAM, callers need both actions in their own identity policy instead.

resource "aws_lambda_permission" "ingest_public_url" {
  count = var.function_url_auth_type == "NONE" ? 1 : 0

  statement_id           = "AllowPublicInvokeFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.ingest.function_name
  principal              = "*"
  function_url_auth_type = "NONE"

  # One policy change at a time on a function: after the URL's own.
  depends_on = [aws_lambda_function_url.ingest]
}

resource "aws_lambda_permission" "ingest_public_invoke" {
  count = var.function_url_auth_type == "NONE" ? 1 : 0

  statement_id             = "AllowPublicInvokeViaFunctionUrl"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.ingest.function_name
  principal                = "*"
  invoked_via_function_url = true

  depends_on = [aws_lambda_permission.ingest_public_url]
}

resource "aws_lambda_permission" "read_recent_public_url" {
  count = var.function_url_auth_type == "NONE" ? 1 : 0

  statement_id           = "AllowPublicInvokeFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.read_recent.function_name
  principal              = "*"
  function_url_auth_type = "NONE"

  depends_on = [aws_lambda_function_url.read_recent]
}

resource "aws_lambda_permission" "read_recent_public_invoke" {
  count = var.function_url_auth_type == "NONE" ? 1 : 0

  statement_id             = "AllowPublicInvokeViaFunctionUrl"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.read_recent.function_name
  principal                = "*"
  invoked_via_function_url = true

  depends_on = [aws_lambda_permission.read_recent_public_url]
}

# -----------------------------------------------------------------------------
# Alarms. Lambda "Errors" counts invocations that failed (crash, timeout, out
# of memory, bad response), not well-formed 4xx/5xx answers. DynamoDB
# "ThrottledRequests" per operation counts a request once when the table OR
# the index refused part of it: for PutItem that includes a throttled write to
# TimestampIndex, where every entry shares one "type" value per shard: that hot
# key is the first limit ingest meets (var.dynamodb_index_shards raises it).
# Missing data (no traffic) is not an alarm.
# -----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ingest_errors" {
  alarm_name        = "${local.ingest_function_name}-errors"
  alarm_description = "Invocations of ${local.ingest_function_name} that failed, summed over 5 minutes."

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.ingest.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_errors_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_sns_topic_arns
  ok_actions    = var.alarm_sns_topic_arns
}

resource "aws_cloudwatch_metric_alarm" "read_recent_errors" {
  alarm_name        = "${local.read_recent_function_name}-errors"
  alarm_description = "Invocations of ${local.read_recent_function_name} that failed, summed over 5 minutes."

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.read_recent.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_errors_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_sns_topic_arns
  ok_actions    = var.alarm_sns_topic_arns
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_write_throttles" {
  alarm_name        = "${local.table_name}-putitem-throttles"
  alarm_description = "PutItem requests (ingest) on ${local.table_name} or its TimestampIndex that DynamoDB throttled, summed over 5 minutes."

  namespace   = "AWS/DynamoDB"
  metric_name = "ThrottledRequests"
  dimensions = {
    TableName = aws_dynamodb_table.logs.name
    Operation = "PutItem"
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.dynamodb_throttle_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_sns_topic_arns
  ok_actions    = var.alarm_sns_topic_arns
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_read_throttles" {
  alarm_name        = "${local.table_name}-query-throttles"
  alarm_description = "Query requests (read-recent) on ${local.table_name} or its TimestampIndex that DynamoDB throttled, summed over 5 minutes."

  namespace   = "AWS/DynamoDB"
  metric_name = "ThrottledRequests"
  dimensions = {
    TableName = aws_dynamodb_table.logs.name
    Operation = "Query"
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.dynamodb_throttle_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_sns_topic_arns
  ok_actions    = var.alarm_sns_topic_arns
}
