// CloudWatch Embedded Metric Format: the Lambda functions' counters as log
// lines, which CloudWatch Logs turns into metrics (namespace "logsvc"). The
// same counters as `logsvc serve`'s /metrics (util/metrics.h), as what one
// invocation added: after each, the function prints the counters that moved
// since the one before. Pure: no I/O.
#ifndef LOGSVC_LAMBDA_EMF_H_
#define LOGSVC_LAMBDA_EMF_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/metrics.h"

namespace logsvc::lambda {

using Counters = std::map<std::string, metrics::Metrics::CounterSample>;

// The EMF documents (JSON, one a line, each ending in '\n') of the counters
// (`_total`s and histograms' `_sum`s) that grew from `before` to `after`:
// each metric under the dimensions `function` and its own labels, whose values
// are the document's properties. Series whose labels disagree (one route
// and another) go into separate documents. "" if nothing moved.
std::string EmfLines(std::string_view function, int64_t timestamp_ms, const Counters& before,
                     const Counters& after);

}  // namespace logsvc::lambda

#endif  // LOGSVC_LAMBDA_EMF_H_
