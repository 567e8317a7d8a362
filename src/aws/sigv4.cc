#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <climits>

#include "aws/uri_encode.h"

namespace logsvc::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

Result<std::string> Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    return Status::Internal("SHA-256 failed in OpenSSL");
  }
  return Hex(md, len);
}

// Raw (binary) HMAC-SHA256, the form the key derivation chains.
Result<std::string> HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (key.size() > INT_MAX ||
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    return Status::Internal("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token: what a method or a header name may be made of.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Scope parts end up between '/' in the credential, so they may not hold one.
bool IsScopePart(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F && c != '/'; });
}

Status ValidateCommon(const HttpRequestToSign& request, const Credentials& credentials,
                      const SigningParams& params) {
  const std::string& d = params.amz_date;
  if (d.size() != 16 || !IsDigits(d.substr(0, 8)) || d[8] != 'T' || !IsDigits(d.substr(9, 6)) ||
      d[15] != 'Z') {
    return Status::InvalidArgument("amz_date must look like 20150830T123600Z");
  }
  if (!IsScopePart(params.region)) return Status::InvalidArgument("region is empty or malformed");
  if (!IsScopePart(params.service)) {
    return Status::InvalidArgument("service is empty or malformed");
  }
  if (!IsScopePart(credentials.access_key_id)) {
    return Status::InvalidArgument("access key id is empty or malformed");
  }
  if (credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("secret access key is empty");
  }
  if (!IsToken(request.method)) return Status::InvalidArgument("method is not an HTTP token");
  if (!request.path.empty() && request.path[0] != '/') {
    return Status::InvalidArgument("path must start with '/'");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return Status::InvalidArgument("header name is not an HTTP token");
  }
  return Status::Ok();
}

bool HasHeader(const HeaderList& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return Lower(h.first) == lower_name; });
}

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per distinct name, sorted
  std::string signed_headers;  // "name;name"
};

CanonicalHeaders Canonicalize(const HeaderList& headers) {
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    lowered.emplace_back(Lower(name), CanonicalHeaderValue(value));
  }
  // Stable: repeated headers keep their order, which the joined value signs.
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < lowered.size(); ++i) {
    bool repeat = i > 0 && lowered[i].first == lowered[i - 1].first;
    if (repeat) {
      out.block.pop_back();  // the '\n': the value continues
      out.block += ',';
    } else {
      if (!out.signed_headers.empty()) out.signed_headers += ';';
      out.signed_headers += lowered[i].first;
      out.block += lowered[i].first;
      out.block += ':';
    }
    out.block += lowered[i].second;
    out.block += '\n';
  }
  return out;
}

std::string CanonicalRequestWith(const HttpRequestToSign& request, const SigningParams& params,
                                 std::string_view payload_hash) {
  CanonicalHeaders headers = Canonicalize(request.headers);
  std::string out = request.method;
  out += '\n';
  out += CanonicalUri(request.path, params.normalize_path, params.double_encode_path);
  out += '\n';
  out += CanonicalQuery(request.query);
  out += '\n';
  out += headers.block;
  out += '\n';
  out += headers.signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

Result<Signed> SignCanonical(const HttpRequestToSign& request, const Credentials& credentials,
                             const SigningParams& params, std::string_view payload_hash) {
  Signed out;
  out.canonical_request = CanonicalRequestWith(request, params, payload_hash);
  Result<std::string> sts = StringToSign(params, out.canonical_request);
  if (!sts.ok()) return sts.status();
  out.string_to_sign = std::move(sts).value();
  Result<std::string> sig = Signature(credentials.secret_access_key, params, out.string_to_sign);
  if (!sig.ok()) return sig.status();
  out.signature = std::move(sig).value();
  return out;
}

}  // namespace

std::string CanonicalHeaderValue(std::string_view value) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();  // leading white space is dropped
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;  // trailing white space never got its pending space written
}

std::string CanonicalUri(std::string_view path, bool normalize, bool double_encode) {
  if (path.empty()) return "/";
  // Segments between the '/'s; path[0] is '/', so the first is the one after it.
  std::vector<std::string_view> segments;
  for (size_t start = 1;;) {
    size_t slash = path.find('/', start);
    segments.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (normalize) {
    std::vector<std::string_view> kept;
    for (std::string_view s : segments) {
      if (s.empty() || s == ".") continue;
      if (s == "..") {
        if (!kept.empty()) kept.pop_back();
        continue;
      }
      kept.push_back(s);
    }
    // "/a/b/" and "/a/b/.." name a directory: keep that trailing slash.
    std::string_view last = segments.back();
    if (!kept.empty() && (last.empty() || last == "." || last == "..")) kept.emplace_back();
    segments = std::move(kept);
  }
  std::string out;
  for (std::string_view s : segments) {
    out += '/';
    out += double_encode ? UriEncode(s) : UriEncode(UriDecode(s));
  }
  return out.empty() ? "/" : out;
}

std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (size_t start = 0; start <= raw_query.size();) {
    size_t amp = std::min(raw_query.find('&', start), raw_query.size());
    std::string_view piece = raw_query.substr(start, amp - start);
    start = amp + 1;
    if (piece.empty()) continue;
    size_t eq = std::min(piece.find('='), piece.size());
    std::string_view value = eq < piece.size() ? piece.substr(eq + 1) : std::string_view();
    params.emplace_back(UriEncode(UriDecode(piece.substr(0, eq))), UriEncode(UriDecode(value)));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

Result<std::string> CanonicalRequest(const HttpRequestToSign& request,
                                     const SigningParams& params) {
  Result<std::string> payload_hash = Sha256Hex(request.body);
  if (!payload_hash.ok()) return payload_hash.status();
  return CanonicalRequestWith(request, params, payload_hash.value());
}

std::string CredentialScope(const SigningParams& params) {
  return params.amz_date.substr(0, 8) + "/" + params.region + "/" + params.service +
         "/aws4_request";
}

Result<std::string> StringToSign(const SigningParams& params, std::string_view canonical_request) {
  Result<std::string> hash = Sha256Hex(canonical_request);
  if (!hash.ok()) return hash.status();
  return std::string(kAlgorithm) + "\n" + params.amz_date + "\n" + CredentialScope(params) + "\n" +
         hash.value();
}

Result<std::string> Signature(std::string_view secret_access_key, const SigningParams& params,
                              std::string_view string_to_sign) {
  // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
  std::string key = "AWS4" + std::string(secret_access_key);
  for (std::string_view part :
       {std::string_view(params.amz_date).substr(0, 8), std::string_view(params.region),
        std::string_view(params.service), std::string_view("aws4_request")}) {
    Result<std::string> next = HmacSha256(key, part);
    if (!next.ok()) return next.status();
    key = std::move(next).value();
  }
  Result<std::string> mac = HmacSha256(key, string_to_sign);
  if (!mac.ok()) return mac.status();
  const std::string& raw = mac.value();
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

Result<HeaderSignature> SignWithHeaders(const HttpRequestToSign& request,
                                        const Credentials& credentials,
                                        const SigningParams& params) {
  if (Status s = ValidateCommon(request, credentials, params); !s.ok()) return s;
  bool has_token = !credentials.session_token.empty();
  // A second copy of any of these would be signed as "old,new": refuse instead.
  if (HasHeader(request.headers, "authorization") || HasHeader(request.headers, "x-amz-date") ||
      (has_token && HasHeader(request.headers, "x-amz-security-token")) ||
      (params.sign_body && HasHeader(request.headers, "x-amz-content-sha256"))) {
    return Status::InvalidArgument("the request already carries a signing header");
  }
  Result<std::string> payload_hash = Sha256Hex(request.body);
  if (!payload_hash.ok()) return payload_hash.status();

  // The added headers, in the order the suite's signed requests show them.
  HeaderList added;
  if (has_token) added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  added.emplace_back("X-Amz-Date", params.amz_date);
  if (params.sign_body) added.emplace_back("x-amz-content-sha256", payload_hash.value());

  HttpRequestToSign to_sign = request;
  for (const auto& header : added) {
    if (has_token && params.omit_session_token && header.first == "X-Amz-Security-Token") continue;
    to_sign.headers.push_back(header);
  }
  Result<Signed> sig = SignCanonical(to_sign, credentials, params, payload_hash.value());
  if (!sig.ok()) return sig.status();

  HeaderSignature out;
  out.canonical_request = std::move(sig.value().canonical_request);
  out.string_to_sign = std::move(sig.value().string_to_sign);
  out.signature = std::move(sig.value().signature);
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      CredentialScope(params) +
                      ", SignedHeaders=" + Canonicalize(to_sign.headers).signed_headers +
                      ", Signature=" + out.signature;
  out.headers_to_add = std::move(added);
  out.headers_to_add.emplace_back("Authorization", out.authorization);
  return out;
}

Result<QuerySignature> PresignWithQuery(const HttpRequestToSign& request,
                                        const Credentials& credentials,
                                        const SigningParams& params) {
  if (Status s = ValidateCommon(request, credentials, params); !s.ok()) return s;
  if (params.expires_seconds < 1 || params.expires_seconds > 604800) {
    return Status::InvalidArgument("expires_seconds must be within 1..604800");
  }
  bool has_token = !credentials.session_token.empty();
  // CanonicalQuery's own encoding, so "X-Amz-Date" spelled %58-Amz-Date is caught too.
  std::string existing = "&" + CanonicalQuery(request.query);
  for (std::string_view name :
       {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Security-Token"}) {
    if (existing.find("&" + std::string(name) + "=") != std::string::npos) {
      return Status::InvalidArgument("the query already has a signing parameter");
    }
  }
  Result<std::string> payload_hash = Sha256Hex(request.body);
  if (!payload_hash.ok()) return payload_hash.status();

  // The order of the suite's presigned URLs; the canonical query sorts anyway.
  std::string scope_credential = credentials.access_key_id + "/" + CredentialScope(params);
  std::string before_token = "X-Amz-Algorithm=" + std::string(kAlgorithm) +
                             "&X-Amz-Credential=" + UriEncode(scope_credential) +
                             "&X-Amz-Date=" + UriEncode(params.amz_date) + "&X-Amz-SignedHeaders=" +
                             UriEncode(Canonicalize(request.headers).signed_headers) +
                             "&X-Amz-Expires=" + std::to_string(params.expires_seconds);
  std::string token =
      has_token ? "&X-Amz-Security-Token=" + UriEncode(credentials.session_token) : std::string();

  HttpRequestToSign to_sign = request;
  if (!to_sign.query.empty()) to_sign.query += '&';
  to_sign.query += before_token;
  if (!params.omit_session_token) to_sign.query += token;
  Result<Signed> sig = SignCanonical(to_sign, credentials, params, payload_hash.value());
  if (!sig.ok()) return sig.status();

  QuerySignature out;
  out.canonical_request = std::move(sig.value().canonical_request);
  out.string_to_sign = std::move(sig.value().string_to_sign);
  out.signature = std::move(sig.value().signature);
  out.query_to_append = before_token + token + "&X-Amz-Signature=" + out.signature;
  return out;
}

}  // namespace logsvc::aws
