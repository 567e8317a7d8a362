// Synchronous wrappers over the LogStore callback API, for tests: each call
// waits for its callback and returns what it reported.
#ifndef LOGSVC_TESTS_UNIT_STORE_SYNC_H_
#define LOGSVC_TESTS_UNIT_STORE_SYNC_H_

#include <gtest/gtest.h>

#include <future>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/uuid.h"
#include "logsvc/log_store.h"
#include "store/rocksdb_store.h"

namespace logsvc::testing {

// A filter of just these severities.
inline Filter Severities(std::initializer_list<Severity> wanted) {
  Filter f;
  f.severities = SeveritySet();
  for (Severity s : wanted) f.severities.Add(s);
  return f;
}

inline LogEntry MakeEntry(int64_t ts, std::string message, Severity sev = Severity::kInfo) {
  return LogEntry{uuid::Format(uuid::NewV4()), ts, sev, std::move(message)};
}

// Reports the new id.
inline Result<std::string> AppendSync(LogStore& s, LogEntry e) {
  std::promise<Result<std::string>> p;
  s.Append(std::move(e), [&](Result<std::string> id) { p.set_value(std::move(id)); });
  return p.get_future().get();
}

// The id of an entry that must be stored; "" (and a failure) if it was not.
inline std::string AppendOk(LogStore& s, LogEntry e) {
  auto id = AppendSync(s, std::move(e));
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? id.value() : "";
}

inline Result<std::vector<std::string>> AppendBatchSync(LogStore& s, std::vector<LogEntry> es) {
  std::promise<Result<std::vector<std::string>>> p;
  s.AppendBatch(std::move(es),
                [&](Result<std::vector<std::string>> ids) { p.set_value(std::move(ids)); });
  return p.get_future().get();
}

inline Result<LogEntry> GetSync(LogStore& s, const std::string& id) {
  std::promise<Result<LogEntry>> p;
  s.Get(id, [&](Result<LogEntry> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

inline Result<SearchPage> SearchSync(LogStore& s, StoreQuery q) {
  std::promise<Result<SearchPage>> p;
  s.Search(std::move(q), [&](Result<SearchPage> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

inline Result<StatsPage> StatsSync(LogStore& s, StatsQuery q) {
  std::promise<Result<StatsPage>> p;
  s.Stats(std::move(q), [&](Result<StatsPage> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

inline std::unique_ptr<store::RocksDbStore> OpenOrDie(store::RocksDbStoreOptions opts) {
  auto r = store::RocksDbStore::Open(opts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : nullptr;
}

}  // namespace logsvc::testing

#endif  // LOGSVC_TESTS_UNIT_STORE_SYNC_H_
