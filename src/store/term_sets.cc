#include "store/term_sets.h"

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
  chunks_.reserve(terms + ordinals / kChunkValues);
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

void TermSets::Append(Term& t, uint32_t ordinal) {
  if (t.count > 0 && t.last == ordinal) return;
  const size_t used = t.count % kChunkValues;
  if (t.count == 0 || used == 0) {
    // Chunk 0 exists from the first term on, so a `next` of 0 means none.
    chunks_.emplace_back();
    const auto c = static_cast<uint32_t>(chunks_.size() - 1);
    if (t.count == 0) {
      t.head = c;
    } else {
      chunks_[t.tail].next = c;
    }
    t.tail = c;
    chunks_[c].next = 0;
  }
  chunks_[t.tail].values[used] = ordinal;
  ++t.count;
  t.last = ordinal;
}

void TermSets::Add(char kind, std::string_view text, uint32_t ordinal) {
  const size_t i = FindOrInsert(Hash(kind, text), kind, text);
  Append(terms_[i], ordinal);
}

void TermSets::Merge(const TermSets& other) {
  std::vector<uint32_t> ordinals;
  for (size_t j = 0; j < other.terms_.size(); ++j) {
    const std::string_view key = other.term(j);
    const size_t i = FindOrInsert(other.terms_[j].hash, key[0], key.substr(1));
    ordinals.clear();
    other.AppendOrdinals(j, &ordinals);
    for (uint32_t o : ordinals) Append(terms_[i], o);
  }
}

void TermSets::AppendOrdinals(size_t i, std::vector<uint32_t>* out) const {
  const Term& t = terms_[i];
  size_t left = t.count;
  for (uint32_t c = t.head; left > 0; c = chunks_[c].next) {
    const size_t n = left < kChunkValues ? left : kChunkValues;
    out->insert(out->end(), chunks_[c].values, chunks_[c].values + n);
    left -= n;
  }
}

std::optional<size_t> TermSets::Find(char kind, std::string_view text) const {
  if (slots_.empty()) return std::nullopt;
  const size_t s = Slot(Hash(kind, text), kind, text);
  if (slots_[s] == 0) return std::nullopt;
  return slots_[s] - 1;
}

}  // namespace logsvc::store::index
