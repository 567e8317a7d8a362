# The first three are the original's outputs, by name. The URLs end in "/";
# the services answer there (tests/test_ingest.sh "$INGEST_URL").

output "dynamodb_table_name" {
  description = "Name of the DynamoDB table holding the log entries."
  value       = aws_dynamodb_table.logs.name
}

output "ingest_lambda_url" {
  description = "Function URL of the ingest function: POST a log entry here."
  value       = aws_lambda_function_url.ingest.function_url
}

output "read_recent_lambda_url" {
  description = "Function URL of the read-recent function: GET the newest entries here."
  value       = aws_lambda_function_url.read_recent.function_url
}

output "dynamodb_table_arn" {
  description = "ARN of the DynamoDB table."
  value       = aws_dynamodb_table.logs.arn
}

output "ingest_function_name" {
  description = "Name of the ingest Lambda function (its log group is /aws/lambda/<name>)."
  value       = aws_lambda_function.ingest.function_name
}

output "read_recent_function_name" {
  description = "Name of the read-recent Lambda function (its log group is /aws/lambda/<name>)."
  value       = aws_lambda_function.read_recent.function_name
}
