#include "aws/environment.h"

#include <fstream>
#include <sstream>

namespace logsvc::aws {
namespace {

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string Env(const Getenv& getenv, const char* name) {
  const char* v = getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

Result<Credentials> ParseCredentialsFile(std::string_view text, std::string_view profile) {
  Credentials c;
  bool in_profile = false, found = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      in_profile = close != std::string_view::npos && Trim(line.substr(1, close - 1)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, eq));
    std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  if (!found) {
    return Status::InvalidArgument("the credentials file has no profile [" + std::string(profile) +
                                   "]");
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status::InvalidArgument("profile [" + std::string(profile) +
                                   "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Result<Credentials> LoadCredentials(const Getenv& getenv) {
  Credentials c{Env(getenv, "AWS_ACCESS_KEY_ID"), Env(getenv, "AWS_SECRET_ACCESS_KEY"),
                Env(getenv, "AWS_SESSION_TOKEN")};
  if (!c.access_key_id.empty() && !c.secret_access_key.empty()) return c;
  // Half a pair is a mistake to report, not a reason to look elsewhere (as botocore).
  if (!c.access_key_id.empty() || !c.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "partial AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set");
  }

  std::string path = Env(getenv, "AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty()) {
    std::string home = Env(getenv, "HOME");
    if (!home.empty()) path = home + "/.aws/credentials";
  }
  std::string profile = Env(getenv, "AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::ifstream in(path);
  if (path.empty() || !in) {
    return Status::InvalidArgument(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write them to " +
        (path.empty() ? std::string("~/.aws/credentials") : path));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseCredentialsFile(text.str(), profile);
  if (!parsed.ok()) {
    return Status::InvalidArgument("no AWS credentials: " + path + ": " +
                                   parsed.status().message());
  }
  return parsed;
}

Result<std::string> ResolveRegion(std::string_view flag, const Getenv& getenv) {
  if (!flag.empty()) return std::string(flag);
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::string v = Env(getenv, name); !v.empty()) return v;
  }
  return Status::InvalidArgument("no AWS region: set AWS_REGION (or the --aws-region flag)");
}

std::string ResolveDynamoDbEndpoint(std::string_view flag, std::string_view region,
                                    const Getenv& getenv) {
  if (!flag.empty()) return std::string(flag);
  for (const char* name : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
    if (std::string v = Env(getenv, name); !v.empty()) return v;
  }
  return "https://dynamodb." + std::string(region) + ".amazonaws.com";
}

}  // namespace logsvc::aws
