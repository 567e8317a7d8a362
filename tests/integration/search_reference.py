"""The search API as docs/search.md describes it, computed in Python: how a
message splits into words, what a query matches, the step stats choose, times
in RFC 3339. The reference test_search_contract.py checks every store against;
written from the documentation, independently of src/core (standard library).

    reference_words("user_id=42 from 10.0.0.1: Timeout!")
        -> ["user_id", "42", "from", "10", "0", "0", "1", "timeout"]
    Query(severities={"error"}, from_ms=..., to_ms=..., q='timeo* -"will retry"').matches(entry)
"""

import datetime
import json
import unicodedata

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Least grave first: `severity>=warning` is warning and every name after it.
SEVERITY_NAMES = ("trace", "debug", "info", "warning", "error", "fatal")
# GET /logs/stats without `step`: the smallest of these giving at most 100 buckets
# (then whole days), as docs/search.md says.
AUTO_STEPS = [s * SECOND for s in (1, 2, 5, 10, 15, 30)] + \
             [m * MINUTE for m in (1, 2, 5, 10, 15, 30)] + \
             [h * HOUR for h in (1, 2, 3, 6, 12)] + [DAY]
AUTO_BUCKETS = 100


# The reference: how docs/search.md says a message splits into words, and what
# a query matches. Written from the documentation, independently of src/core.

WORD_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl"}
MAX_WORD_BYTES = 256


def is_word_char(ch):
    return ch == "_" or unicodedata.category(ch) in WORD_CATEGORIES


def simple_fold(ch):
    """Unicode simple case folding of one character (one character for one):
    str.casefold() is the full folding; where that gives several characters,
    the simple folding is the single-character lower case if there is one
    (U+1E9E ẞ -> ß), else the character itself (ß, U+0130 İ)."""
    folded = ch.casefold()
    if len(folded) == 1:
        return folded
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def cut_word(word):
    """A folded word keeps its first MAX_WORD_BYTES bytes of UTF-8, whole characters."""
    while len(word.encode("utf-8")) > MAX_WORD_BYTES:
        word = word[:-1]
    return word


def reference_words(text):
    """The folded words of `text`, in order."""
    words, current = [], []
    for ch in text + " ":
        if is_word_char(ch):
            current.append(simple_fold(ch))
        elif current:
            words.append(cut_word("".join(current)))
            current = []
    return words


class Term:
    def __init__(self, text, negated):
        self.prefix = text.endswith("*")
        self.words = reference_words(text)
        self.negated = negated
        assert self.words, "a reference term without words: %r" % text

    def matches(self, words):
        n = len(self.words)
        for i in range(len(words) - n + 1):
            if all(words[i + j] == w or (self.prefix and j == n - 1 and words[i + j].startswith(w))
                   for j, w in enumerate(self.words)):
                return True
        return False


def reference_terms(q):
    """The terms of a `q` as this file's queries write them: white-space separated,
    an optional '-', then a "quoted phrase" or a bare term, either ending in '*'."""
    terms, i = [], 0
    while i < len(q):
        if q[i].isspace():
            i += 1
            continue
        negated = q[i] == "-"
        if negated:
            i += 1
        if q[i] == '"':
            end = q.index('"', i + 1)
            text, i = q[i + 1:end], end + 1
        else:
            end = i
            while end < len(q) and not q[end].isspace():
                end += 1
            text, i = q[i:end], end
        terms.append(Term(text, negated))
    return terms


def flatten_attributes(value, prefix=""):
    """An entry's "attributes" as sent, as the store keeps them (docs/ingest.md):
    nested objects as dotted keys, numbers and booleans as their JSON text,
    arrays as minified JSON, null left out."""
    out = {}
    for key, v in value.items():
        name = prefix + "." + key if prefix else key
        if isinstance(v, dict):
            out.update(flatten_attributes(v, name))
        elif v is None:
            continue
        elif isinstance(v, str):
            out[name] = v
        else:
            out[name] = json.dumps(v, separators=(",", ":"))
    return out


class Query:
    """What a search or stats request asks, as the reference evaluates it."""

    def __init__(self, severities=None, from_ms=None, to_ms=None, q=None, attributes=None,
                 at_least=None):
        self.severities = set(severities) if severities else set(SEVERITY_NAMES)
        if at_least is not None:  # severity>=
            self.severities &= set(SEVERITY_NAMES[SEVERITY_NAMES.index(at_least):])
        self.from_ms = from_ms
        self.to_ms = to_ms
        self.terms = reference_terms(q) if q else []
        self.attributes = dict(attributes or {})

    def matches(self, entry):
        if entry["severity"] not in self.severities:
            return False
        have = entry.get("attributes", {})
        if any(have.get(k) != v for k, v in self.attributes.items()):
            return False
        t = entry["timestamp"]
        if (self.from_ms is not None and t < self.from_ms) or \
                (self.to_ms is not None and t >= self.to_ms):
            return False
        words = reference_words(entry["message"])
        return all(term.matches(words) != term.negated for term in self.terms)


# Times as the API takes them.

EPOCH = datetime.datetime(1970, 1, 1)


def rfc3339(ms, offset_minutes=0, fraction_digits=3, lower=False):
    """The instant `ms` as RFC 3339: Z or an offset, 0 (whole seconds only), 3 or 9
    fraction digits (the 6 past the millisecond are noise the API drops)."""
    t = EPOCH + datetime.timedelta(milliseconds=ms + offset_minutes * MINUTE)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction_digits == 0:
        assert ms % 1000 == 0
    else:
        text += ".%03d" % (ms % 1000) + "654321"[:fraction_digits - 3]
    if offset_minutes == 0:
        text += "Z"
    else:
        sign = "+" if offset_minutes > 0 else "-"
        text += "%s%02d:%02d" % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    return text.lower() if lower else text


def auto_step(from_ms, to_ms):
    """The step GET /logs/stats takes without `step` (docs/search.md)."""
    def buckets(step):
        return -(-(to_ms - from_ms // step * step) // step)
    step = next((s for s in AUTO_STEPS if buckets(s) <= AUTO_BUCKETS), None)
    days = 2
    while step is None:
        if buckets(days * DAY) <= AUTO_BUCKETS:
            step = days * DAY
        days += 1
    return step
