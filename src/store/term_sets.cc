#include "store/term_sets.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace logsvc::store::index {

namespace {

uint64_t Mix(uint64_t x) {
  // splitmix64's finalizer: every input bit reaches every output bit, so the
  // table's low bits are as good as its high ones.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t TermSets::Hash(char kind, std::string_view text) {
  uint64_t h = Mix(static_cast<unsigned char>(kind) ^ (text.size() << 8));
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    h = Mix(h ^ word);
  }
  if (i < text.size()) {
    uint64_t word = 0;
    std::memcpy(&word, text.data() + i, text.size() - i);
    h = Mix(h ^ word);
  }
  return h;
}

bool TermSets::Equals(const Term& t, uint64_t hash, char kind, std::string_view text) const {
  return t.hash == hash && t.text_size == text.size() + 1 && text_[t.text_offset] == kind &&
         std::memcmp(text_.data() + t.text_offset + 1, text.data(), text.size()) == 0;
}

size_t TermSets::Slot(uint64_t hash, char kind, std::string_view text) const {
  const size_t mask = slots_.size() - 1;
  for (size_t s = hash & mask;; s = (s + 1) & mask) {
    const uint32_t v = slots_[s];
    if (v == 0 || Equals(terms_[v - 1], hash, kind, text)) return s;
  }
}

void TermSets::Reserve(size_t terms, size_t ordinals, size_t text_bytes) {
  terms_.reserve(terms);
  // Blocks hold the ordinals of terms seen twice or more, with their headers
  // and unused room: a slack of a quarter covers typical logs (a few common
  // words, many ids seen once), not every mix of terms seen a few times.
  blocks_.reserve(ordinals + ordinals / 4);
  text_.reserve(text_bytes);
  size_t slots = 1024;
  while (slots < terms * 2) slots *= 2;
  if (slots > slots_.size()) Grow(slots);
}

void TermSets::Grow(size_t size) {
  std::vector<uint32_t> slots(size, 0);
  const size_t mask = slots.size() - 1;
  for (size_t i = 0; i < terms_.size(); ++i) {
    size_t s = terms_[i].hash & mask;
    while (slots[s] != 0) s = (s + 1) & mask;
    slots[s] = static_cast<uint32_t>(i + 1);
  }
  slots_.swap(slots);
}

size_t TermSets::FindOrInsert(uint64_t hash, char kind, std::string_view text) {
  // Half full at most: a probe then ends after a slot or two.
  if ((terms_.size() + 1) * 2 > slots_.size()) Grow(slots_.empty() ? 1024 : slots_.size() * 2);
  const size_t s = Slot(hash, kind, text);
  if (slots_[s] != 0) return slots_[s] - 1;
  Term t{hash, static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(text.size() + 1), 0, 0, 0,
         0};
  text_.push_back(kind);
  text_.append(text);
  terms_.push_back(t);
  slots_[s] = static_cast<uint32_t>(terms_.size());
  return terms_.size() - 1;
}

uint32_t TermSets::NewBlock(uint32_t capacity) {
  if (blocks_.empty()) blocks_.push_back(0);  // offset 0 means "no block"
  const auto b = static_cast<uint32_t>(blocks_.size());
  blocks_.resize(blocks_.size() + kBlockHeader + capacity);
  blocks_[b] = 0;
  blocks_[b + 1] = capacity;
  blocks_[b + 2] = 0;
  return b;
}

void TermSets::Append(Term& t, uint32_t ordinal) {
  if (t.count > 0 && t.last == ordinal) return;
  if (t.count == 1) {
    // The second ordinal: the first moves out of the Term into a block.
    const uint32_t b = NewBlock(kFirstBlockValues);
    blocks_[b + kBlockHeader] = t.last;
    blocks_[b + 2] = 1;
    t.head = t.tail = b;
  }
  if (t.count >= 1) {
    uint32_t b = t.tail;
    if (blocks_[b + 2] == blocks_[b + 1]) {
      const uint32_t next = NewBlock(std::min(blocks_[b + 1] * 2, kMaxBlockValues));
      blocks_[b] = next;  // NewBlock may have moved blocks_: index it again
      t.tail = b = next;
    }
    blocks_[b + kBlockHeader + blocks_[b + 2]++] = ordinal;
  }
  ++t.count;
  t.last = ordinal;
}

void TermSets::Add(char kind, std::string_view text, uint32_t ordinal) {
  const size_t i = FindOrInsert(Hash(kind, text), kind, text);
  Append(terms_[i], ordinal);
}

void TermSets::Merge(const TermSets& other) {
  assert(&other != this);  // Append may move blocks_, which the loop reads
  for (size_t j = 0; j < other.terms_.size(); ++j) {
    const std::string_view key = other.term(j);
    const Term& from = other.terms_[j];
    Term& to = terms_[FindOrInsert(from.hash, key[0], key.substr(1))];
    if (from.count == 1) Append(to, from.last);
    if (from.count < 2) continue;
    for (uint32_t b = from.head; b != 0; b = other.blocks_[b]) {
      const uint32_t* values = other.blocks_.data() + b + kBlockHeader;
      for (uint32_t v = 0; v < other.blocks_[b + 2]; ++v) Append(to, values[v]);
    }
  }
}

void TermSets::AppendOrdinals(size_t i, std::vector<uint32_t>* out) const {
  const Term& t = terms_[i];
  if (t.count == 1) out->push_back(t.last);
  if (t.count < 2) return;
  for (uint32_t b = t.head; b != 0; b = blocks_[b]) {
    const uint32_t* values = blocks_.data() + b + kBlockHeader;
    out->insert(out->end(), values, values + blocks_[b + 2]);
  }
}

std::optional<size_t> TermSets::Find(char kind, std::string_view text) const {
  if (slots_.empty()) return std::nullopt;
  const size_t s = Slot(Hash(kind, text), kind, text);
  if (slots_[s] == 0) return std::nullopt;
  return slots_[s] - 1;
}

}  // namespace logsvc::store::index
