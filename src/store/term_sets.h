// TermSets: term -> the ordinals of the entries that have it, as a batch
// (IndexBuilder) or the newest segment (PendingSegment) collects them.
//
// A term is a kind byte (kWordKind, kSeverityKind) and its text. Most terms
// of a log are ids seen once, so nothing here allocates per term: the texts
// sit back to back in one string, the terms in one vector found through an
// open-addressing table of their hashes, and the ordinals in blocks of one
// vector, chained per term (see Term). (A map of strings to vectors spent a fifth
// of a batch load's CPU in malloc and free: perf, session 9.)
//
// Not thread-safe: the owner locks (PendingSegment) or owns it alone.
#ifndef LOGSVC_STORE_TERM_SETS_H_
#define LOGSVC_STORE_TERM_SETS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logsvc::store::index {

class TermSets {
 public:
  // Adds `ordinal` to the set of kind+text. An ordinal equal to the last one
  // added to that term is dropped (a word said twice in one message).
  void Add(char kind, std::string_view text, uint32_t ordinal);
  // Adds every ordinal of every term of `other`, term by term, in the order
  // `other` had them.
  void Merge(const TermSets& other);

  // Room for `terms` terms with `ordinals` ordinals and `text_bytes` of text
  // in all, so that growing to that size copies little (the ordinals' blocks
  // are sized for typical logs: docs/storage.md).
  void Reserve(size_t terms, size_t ordinals, size_t text_bytes);

  size_t size() const { return terms_.size(); }
  bool empty() const { return terms_.empty(); }
  // Term i (0 <= i < size(), in the order terms were first added): its kind
  // byte followed by its text.
  std::string_view term(size_t i) const {
    return std::string_view(text_).substr(terms_[i].text_offset, terms_[i].text_size);
  }
  // Appends term i's ordinals to *out, in the order they were added (not
  // necessarily ascending: batches may be added out of their numbers' order).
  void AppendOrdinals(size_t i, std::vector<uint32_t>* out) const;
  // The index of kind+text, if it has a set.
  std::optional<size_t> Find(char kind, std::string_view text) const;

 private:
  // A term's ordinals: none; one, kept in the Term itself (`last`: most terms
  // are ids seen once, and then own no block at all); or more, in a chain of
  // blocks in `blocks_`, each twice the size of the one before up to
  // kMaxBlockValues, so that a common word's thousands of ordinals are read
  // back in a few sequential runs rather than a cache miss every few values.
  // A block at offset b is blocks_[b] = the next block's offset (0: none;
  // offset 0 is never a block), blocks_[b + 1] = capacity, blocks_[b + 2] =
  // used, then its values.
  static constexpr uint32_t kBlockHeader = 3;
  static constexpr uint32_t kFirstBlockValues = 5;  // a block of 32 bytes
  static constexpr uint32_t kMaxBlockValues = 4096;
  struct Term {
    uint64_t hash;
    uint32_t text_offset;
    uint32_t text_size;
    uint32_t head;   // first block, once count >= 2
    uint32_t tail;   // last block, once count >= 2
    uint32_t count;  // ordinals
    uint32_t last;   // the last ordinal added (the only one while count == 1)
  };
  static uint64_t Hash(char kind, std::string_view text);
  // The index of the term with this hash and kind+text, inserted if new.
  size_t FindOrInsert(uint64_t hash, char kind, std::string_view text);
  size_t Slot(uint64_t hash, char kind, std::string_view text) const;
  bool Equals(const Term& t, uint64_t hash, char kind, std::string_view text) const;
  void Append(Term& t, uint32_t ordinal);
  // A new, empty block of `capacity` values at the end of blocks_: its offset.
  uint32_t NewBlock(uint32_t capacity);
  void Grow(size_t slots);

  std::string text_;
  std::vector<Term> terms_;
  std::vector<uint32_t> slots_;  // term index + 1, or 0 for empty; size a power of two
  std::vector<uint32_t> blocks_;
};

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_TERM_SETS_H_
