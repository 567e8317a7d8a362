// The SigV4 signer against the published AWS test suite (see the suite's
// README.md): for every case folder and both ways of signing (Authorization
// header, presigned query), the canonical request, string to sign, signature
// and signed request must equal the expected files byte for byte. A missing
// suite is a failure, not a skip: a signer that is never checked is not known
// to work. Then a few hand-written cases for what the suite does not cover.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "aws/sigv4.h"
#include "aws/uri_encode.h"

namespace logsvc::aws {
namespace {

namespace fs = std::filesystem;

// $LOGSVC_SIGV4_SUITE_DIR if set, else the folder CMake pointed at.
fs::path SuiteDir() {
  const char* env = std::getenv("LOGSVC_SIGV4_SUITE_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(LOGSVC_SIGV4_SUITE_DIR);
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- request.txt ------------------------------------------------------------

struct ParsedRequest {
  HttpRequestToSign request;
  std::string version;       // "HTTP/1.1"
  std::string header_lines;  // the header lines exactly as in the file, each ending in '\n'
};

// A raw HTTP/1.1 request as the suite writes it: "METHOD target VERSION" (the
// target may hold spaces), header lines "Name:value" where a line starting
// with white space continues the previous value (obs-fold, kept with its line
// break: the signer must fold it), then optionally an empty line and the body.
std::optional<ParsedRequest> ParseRequest(std::string_view text) {
  size_t pos = 0;
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    size_t end = std::min(text.find('\n', pos), text.size());
    line = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  };
  ParsedRequest out;
  std::string_view line;
  if (!next_line(line)) return std::nullopt;
  size_t first = line.find(' ');
  size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  out.request.method = line.substr(0, first);
  out.version = line.substr(last + 1);
  std::string_view target = line.substr(first + 1, last - first - 1);
  size_t question = target.find('?');
  out.request.path = target.substr(0, question);
  if (question != std::string_view::npos) out.request.query = target.substr(question + 1);

  while (next_line(line) && !line.empty()) {
    out.header_lines.append(line).push_back('\n');
    if (line[0] == ' ' || line[0] == '\t') {
      if (out.request.headers.empty()) return std::nullopt;
      out.request.headers.back().second.append("\n").append(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  out.request.body = pos < text.size() ? text.substr(pos) : std::string_view();
  return out;
}

// ---- context.json -----------------------------------------------------------

struct Context {
  Credentials credentials;
  SigningParams params;
};

// Fails on a key it does not know: a new key may change what is expected, and
// silently ignoring it would turn a real mismatch into a puzzle.
std::optional<Context> ParseContext(const std::string& json, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
    error = "not JSON";
    return std::nullopt;
  }
  static const std::set<std::string_view> kKnown = {
      "credentials", "expiration_in_seconds", "normalize", "region", "service",
      "sign_body",   "omit_session_token",    "timestamp"};
  static const std::set<std::string_view> kKnownCredentials = {"access_key_id", "secret_access_key",
                                                               "token"};
  simdjson::dom::object root;
  simdjson::dom::object credentials;
  if (doc.get(root) != simdjson::SUCCESS ||
      doc["credentials"].get(credentials) != simdjson::SUCCESS) {
    error = "no credentials object";
    return std::nullopt;
  }
  for (auto field : root) {
    if (!kKnown.contains(field.key)) error = "unknown key " + std::string(field.key);
  }
  for (auto field : credentials) {
    if (!kKnownCredentials.contains(field.key)) error = "unknown key " + std::string(field.key);
  }
  if (!error.empty()) return std::nullopt;

  Context out;
  std::string_view access_key;
  std::string_view secret;
  std::string_view token;
  std::string_view region;
  std::string_view service;
  std::string_view timestamp;
  int64_t expires = 0;
  bool normalize = false;
  bool sign_body = false;
  bool omit_token = false;
  if (credentials["access_key_id"].get(access_key) != simdjson::SUCCESS ||
      credentials["secret_access_key"].get(secret) != simdjson::SUCCESS ||
      root["region"].get(region) != simdjson::SUCCESS ||
      root["service"].get(service) != simdjson::SUCCESS ||
      root["timestamp"].get(timestamp) != simdjson::SUCCESS ||
      root["expiration_in_seconds"].get(expires) != simdjson::SUCCESS ||
      root["normalize"].get(normalize) != simdjson::SUCCESS ||
      root["sign_body"].get(sign_body) != simdjson::SUCCESS) {
    error = "a required key is missing or has the wrong type";
    return std::nullopt;
  }
  // Optional keys: absent means "no token" and "sign the token".
  if (credentials["token"].get(token) == simdjson::INCORRECT_TYPE ||
      root["omit_session_token"].get(omit_token) == simdjson::INCORRECT_TYPE) {
    error = "token or omit_session_token has the wrong type";
    return std::nullopt;
  }
  out.credentials = {std::string(access_key), std::string(secret), std::string(token)};
  out.params.region = region;
  out.params.service = service;
  // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
  for (char c : timestamp) {
    if (c != '-' && c != ':') out.params.amz_date.push_back(c);
  }
  out.params.normalize_path = normalize;
  out.params.sign_body = sign_body;
  out.params.omit_session_token = omit_token;
  out.params.expires_seconds = expires;
  return out;
}

// ---- the cases --------------------------------------------------------------

enum class Variant { kHeader, kQuery };

struct SuiteCase {
  std::string folder;
  Variant variant;
};

// Every folder with a request.txt signs with headers; those with query-* files
// are presigned too.
std::vector<SuiteCase> DiscoverCases() {
  std::vector<SuiteCase> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(SuiteDir(), ec)) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "request.txt")) continue;
    std::string folder = entry.path().filename().string();
    out.push_back({folder, Variant::kHeader});
    if (fs::exists(entry.path() / "query-canonical-request.txt")) {
      out.push_back({folder, Variant::kQuery});
    }
  }
  std::sort(out.begin(), out.end(), [](const SuiteCase& a, const SuiteCase& b) {
    return std::tie(a.folder, a.variant) < std::tie(b.folder, b.variant);
  });
  return out;
}

// gtest prints a failing parameter; "get-vanilla (query)" rather than its bytes.
void PrintTo(const SuiteCase& c, std::ostream* os) {
  *os << c.folder << (c.variant == Variant::kHeader ? " (header)" : " (query)");
}

std::string CaseName(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.folder;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + (info.param.variant == Variant::kHeader ? "_header" : "_query");
}

TEST(Sigv4Suite, IsPresent) {
  ASSERT_TRUE(fs::is_directory(SuiteDir())) << "the SigV4 test suite is not at " << SuiteDir()
                                            << "; set LOGSVC_SIGV4_SUITE_DIR to its folder";
  EXPECT_FALSE(DiscoverCases().empty()) << "no case folders in " << SuiteDir();
}

class Sigv4SuiteCase : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(Sigv4SuiteCase, MatchesExpectedFiles) {
  const SuiteCase& c = GetParam();
  const fs::path dir = SuiteDir() / c.folder;
  std::optional<std::string> request_text = ReadFile(dir / "request.txt");
  std::optional<std::string> context_text = ReadFile(dir / "context.json");
  ASSERT_TRUE(request_text && context_text) << "cannot read " << dir;
  std::optional<ParsedRequest> parsed = ParseRequest(*request_text);
  ASSERT_TRUE(parsed) << "cannot parse " << dir / "request.txt";
  std::string error;
  std::optional<Context> context = ParseContext(*context_text, error);
  ASSERT_TRUE(context) << (dir / "context.json").string() << ": " << error;

  const std::string prefix = c.variant == Variant::kHeader ? "header-" : "query-";
  auto expect_file = [&](const std::string& name, const std::string& actual) {
    std::optional<std::string> expected = ReadFile(dir / (prefix + name));
    ASSERT_TRUE(expected) << "missing " << dir / (prefix + name);
    EXPECT_EQ(actual, *expected) << prefix + name;
  };

  const HttpRequestToSign& request = parsed->request;
  std::string target = request.path;
  std::string added_header_lines;
  if (c.variant == Variant::kHeader) {
    Result<HeaderSignature> sig = SignWithHeaders(request, context->credentials, context->params);
    ASSERT_TRUE(sig.ok()) << sig.status().message();
    expect_file("canonical-request.txt", sig.value().canonical_request);
    expect_file("string-to-sign.txt", sig.value().string_to_sign);
    expect_file("signature.txt", sig.value().signature);
    if (!request.query.empty()) target += "?" + request.query;
    for (const auto& [name, value] : sig.value().headers_to_add) {
      added_header_lines += name + ":" + value + "\n";
    }
  } else {
    Result<QuerySignature> sig = PresignWithQuery(request, context->credentials, context->params);
    ASSERT_TRUE(sig.ok()) << sig.status().message();
    expect_file("canonical-request.txt", sig.value().canonical_request);
    expect_file("string-to-sign.txt", sig.value().string_to_sign);
    expect_file("signature.txt", sig.value().signature);
    target +=
        "?" + (request.query.empty() ? "" : request.query + "&") + sig.value().query_to_append;
  }
  // The request as it goes out: what a caller builds from the API's output.
  expect_file("signed-request.txt", request.method + " " + target + " " + parsed->version + "\n" +
                                        parsed->header_lines + added_header_lines + "\n" +
                                        request.body);
}

INSTANTIATE_TEST_SUITE_P(Aws, Sigv4SuiteCase, ::testing::ValuesIn(DiscoverCases()), CaseName);
// An empty suite folder is reported by Sigv4Suite.IsPresent, with its path.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Sigv4SuiteCase);

// ---- what the suite does not cover ------------------------------------------

HttpRequestToSign SimpleRequest() {
  return {"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
}

SigningParams SimpleParams() { return {"us-east-1", "service", "20150830T123600Z"}; }

const Credentials kCredentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

TEST(UriEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("aZ09-._~ /+=\xC3\xBC"), "aZ09-._~%20%2F%2B%3D%C3%BC");
  EXPECT_EQ(UriEncode("/a b/", /*keep_slash=*/true), "/a%20b/");
}

TEST(UriDecode, IsLenient) {
  EXPECT_EQ(UriDecode("%2f%2F+%zz%4"), "//+%zz%4");
  EXPECT_EQ(UriDecode("%"), "%");
}

TEST(CanonicalUri, EncodesAgainUnlessS3) {
  EXPECT_EQ(CanonicalUri("/a%20b", true, /*double_encode=*/true), "/a%2520b");
  EXPECT_EQ(CanonicalUri("/a%20b", false, /*double_encode=*/false), "/a%20b");
  EXPECT_EQ(CanonicalUri("/a b+c", false, /*double_encode=*/false), "/a%20b%2Bc");
}

TEST(CanonicalUri, Normalizes) {
  EXPECT_EQ(CanonicalUri("", true, true), "/");
  EXPECT_EQ(CanonicalUri("/a/b/..", true, true), "/a/");
  EXPECT_EQ(CanonicalUri("/../a/./b", true, true), "/a/b");
  EXPECT_EQ(CanonicalUri("/../a/./b", false, true), "/../a/./b");
}

TEST(CanonicalQuery, SortsByEncodedNameThenValue) {
  EXPECT_EQ(CanonicalQuery("b=2&a=2&&a=1&c"), "a=1&a=2&b=2&c=");
  EXPECT_EQ(CanonicalQuery("a+b=%7e&x=a=b"), "a%2Bb=~&x=a%3Db");
}

TEST(CanonicalHeaderValue, TrimsAndCollapses) {
  EXPECT_EQ(CanonicalHeaderValue(" \t a  \t b \r\n c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue("   "), "");
}

// The suite's requests list their headers sorted already and repeat a name
// only on adjacent lines, so it never checks either of these.
TEST(CanonicalRequest, SortsHeadersAndJoinsRepeatsInOrder) {
  HttpRequestToSign request = {
      "GET", "/", "", {{"X-B", "2"}, {"Host", "h"}, {"a", " 1 "}, {"x-b", "1"}}, ""};
  Result<std::string> canonical = CanonicalRequest(request, SimpleParams());
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(canonical.value(),
            "GET\n/\n\na:1\nhost:h\nx-b:2,1\n\na;host;x-b\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SignWithHeaders, RejectsWhatItCannotSign) {
  SigningParams params = SimpleParams();
  params.amz_date = "2015-08-30T12:36:00Z";
  EXPECT_EQ(SignWithHeaders(SimpleRequest(), kCredentials, params).status().code(),
            Status::Code::kInvalidArgument);

  HttpRequestToSign request = SimpleRequest();
  request.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 ...");
  EXPECT_EQ(SignWithHeaders(request, kCredentials, SimpleParams()).status().code(),
            Status::Code::kInvalidArgument);

  request = SimpleRequest();
  request.path = "http://example.amazonaws.com/";
  EXPECT_EQ(SignWithHeaders(request, kCredentials, SimpleParams()).status().code(),
            Status::Code::kInvalidArgument);

  request = SimpleRequest();
  request.headers.emplace_back("Bad Name", "x");
  EXPECT_EQ(SignWithHeaders(request, kCredentials, SimpleParams()).status().code(),
            Status::Code::kInvalidArgument);

  Credentials no_key = kCredentials;
  no_key.access_key_id.clear();
  EXPECT_EQ(SignWithHeaders(SimpleRequest(), no_key, SimpleParams()).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(PresignWithQuery, RejectsWhatItCannotSign) {
  SigningParams params = SimpleParams();
  params.expires_seconds = 604801;
  EXPECT_EQ(PresignWithQuery(SimpleRequest(), kCredentials, params).status().code(),
            Status::Code::kInvalidArgument);

  HttpRequestToSign request = SimpleRequest();
  request.query = "a=1&X-Amz-Signature=00";
  EXPECT_EQ(PresignWithQuery(request, kCredentials, SimpleParams()).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(SignWithHeaders, StepsComposeToTheSameSignature) {
  Result<HeaderSignature> sig = SignWithHeaders(SimpleRequest(), kCredentials, SimpleParams());
  ASSERT_TRUE(sig.ok());
  Result<std::string> sts = StringToSign(SimpleParams(), sig.value().canonical_request);
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts.value(), sig.value().string_to_sign);
  Result<std::string> signature =
      Signature(kCredentials.secret_access_key, SimpleParams(), sts.value());
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature.value(), sig.value().signature);
}

}  // namespace
}  // namespace logsvc::aws
