// What the AWS tools read from the environment, read the same way here:
// credentials, region and endpoint overrides. Pure functions of the getenv
// they are given (tests pass their own) plus, for credentials, one file read.
#ifndef LOGSVC_AWS_ENVIRONMENT_H_
#define LOGSVC_AWS_ENVIRONMENT_H_

#include <functional>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "logsvc/status.h"

namespace logsvc::aws {

// Returns the variable's value or nullptr, as ::getenv does.
using Getenv = std::function<const char*(const char*)>;

// Credentials in the order of the AWS CLI and SDKs:
//   1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN if set);
//   2. the shared credentials file, AWS_SHARED_CREDENTIALS_FILE or
//      $HOME/.aws/credentials, section AWS_PROFILE (default "default").
// InvalidArgument with a sentence saying what was looked at if none are found
// (never the secret itself).
Result<Credentials> LoadCredentials(const Getenv& getenv);

// The credentials in one profile of a shared credentials file's text (INI:
// [profile] then key = value lines; '#' and ';' start comments).
Result<Credentials> ParseCredentialsFile(std::string_view text, std::string_view profile);

// The region: `flag` if set, else AWS_REGION, else AWS_DEFAULT_REGION;
// InvalidArgument if none.
Result<std::string> ResolveRegion(std::string_view flag, const Getenv& getenv);

// The DynamoDB endpoint URL: `flag` if set, else AWS_ENDPOINT_URL_DYNAMODB,
// else AWS_ENDPOINT_URL, else https://dynamodb.<region>.amazonaws.com.
std::string ResolveDynamoDbEndpoint(std::string_view flag, std::string_view region,
                                    const Getenv& getenv);

}  // namespace logsvc::aws

#endif  // LOGSVC_AWS_ENVIRONMENT_H_
