# Inputs. The first three are the original's; with their defaults the table is
# "log-service-production-logs" and the functions
# "log-service-production-ingest" and "log-service-production-read-recent".

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name, part of every resource name (e.g. production, staging)."
  type        = string
  default     = "production"
}

variable "project_name" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "log-service"
}

# --- Lambda -------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "The deployment package from scripts/package-lambda.sh (a zip holding the `bootstrap` binary), relative to this directory."
  type        = string
  default     = "../dist/logsvc-lambda.zip"
}

variable "architecture" {
  description = "Instruction set of both functions: x86_64 or arm64. Must match the binary in lambda_zip_path; scripts/package-lambda.sh builds for the machine it runs on (uname -m: x86_64 or aarch64 = arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "lambda_memory_size" {
  description = "Memory of each function in MB (Lambda gives CPU in proportion)."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && floor(var.lambda_memory_size) == var.lambda_memory_size
    error_message = "lambda_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "lambda_timeout" {
  description = "Timeout of each invocation in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "lambda_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrent executions of each function: -1 leaves it unreserved (shares the account's pool), 0 stops the function, N reserves N and caps it at N (a cap also bounds the DynamoDB request rate and the bill)."
  type        = number
  default     = -1

  validation {
    condition     = var.lambda_reserved_concurrency >= -1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency
    error_message = "lambda_reserved_concurrency must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "function_url_auth_type" {
  description = "Authorization of both function URLs: NONE (public, as in the original) or AWS_IAM (callers sign requests with SigV4 and need lambda:InvokeFunctionUrl and lambda:InvokeFunction on the function)."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be \"NONE\" or \"AWS_IAM\"."
  }
}

variable "auth_key_hashes" {
  description = "API keys of both functions (their LOGSVC_AUTH_KEY_HASHES): lines of a keys file made by `logsvc keys create` (each key's SHA-256 and scopes, never the key), separated by newlines or ';'. Empty: no keys, every request is served, as in the original. With function_url_auth_type AWS_IAM, Authorization carries the SigV4 signature: present the key as X-API-Key."
  type        = string
  default     = ""
  sensitive   = true
}

# --- DynamoDB -----------------------------------------------------------------

variable "dynamodb_index_shards" {
  description = "Number of TimestampIndex partition-key values the functions spread entries over (LOGSVC_DYNAMODB_INDEX_SHARDS). 1 is the original's single \"LOG\" key; more raises the write rate the index takes. Both functions get the same value."
  type        = number
  default     = 1

  validation {
    condition     = var.dynamodb_index_shards >= 1 && floor(var.dynamodb_index_shards) == var.dynamodb_index_shards
    error_message = "dynamodb_index_shards must be a whole number >= 1."
  }
}

variable "enable_point_in_time_recovery" {
  description = "Continuous backups of the table (restore to any second of the last 35 days)."
  type        = bool
  default     = true
}

variable "retention_days" {
  description = "Retention of entries, in days (LOGSVC_RETENTION_DAYS of both functions): each item carries the TTL attribute (its time plus this), DynamoDB deletes it within about 48 hours after, and reads leave it out from its deadline on. 0: entries are kept. The functions write the attribute as expiresAt: keep ttl_attribute_name at its default with retention."
  type        = number
  default     = 0

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number >= 0."
  }
}

variable "ttl_attribute_name" {
  description = "Retention: the table's TTL attribute. An item carrying it (a Number, Unix epoch seconds) is deleted by DynamoDB after that instant; items without it are kept."
  type        = string
  default     = "expiresAt"
}

# --- Logs and alarms ----------------------------------------------------------

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps each function's log."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "lambda_errors_alarm_threshold" {
  description = "Each function's Errors alarm fires when failed invocations in 5 minutes exceed this."
  type        = number
  default     = 0
}

variable "dynamodb_throttle_alarm_threshold" {
  description = "Each DynamoDB throttle alarm (PutItem, Query) fires when throttled requests in 5 minutes exceed this."
  type        = number
  default     = 0
}

variable "alarm_sns_topic_arns" {
  description = "SNS topic ARNs notified when an alarm fires and when it clears. Empty: the alarms are only visible in CloudWatch."
  type        = list(string)
  default     = []
}
