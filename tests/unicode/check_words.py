"""The C++ tokenizer (src/core/words.cc) against Python's unicodedata.

Runs tests/unicode/words_dump (LOGSVC_WORDS_DUMP: its path) on texts made
here and compares the words it prints with a reference tokenizer written in
Python from the definitions in scripts/gen_unicode_tables.py (is_word_char,
fold): every code point, in a word and alone; random texts with invalid UTF-8
and words longer than the 256-byte cut. Also checks that the committed
src/core/unicode_tables.inc is what the generator writes today.

    LOGSVC_WORDS_DUMP=build/tests/words_dump python3 tests/unicode/check_words.py
"""
import os
import random
import re
import subprocess
import sys
import unicodedata
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gen_unicode_tables as spec  # noqa: E402

MAX_WORD_BYTES = 256


def word_class_pattern():
    """A regex matching one run of word characters, built code point by code
    point from spec.is_word_char (not from the generator's compressed ranges)."""
    parts, start = [], None
    for cp in range(spec.MAX_CODE_POINT + 2):
        word = cp <= spec.MAX_CODE_POINT and not 0xD800 <= cp <= 0xDFFF and spec.is_word_char(cp)
        if word and start is None:
            start = cp
        elif not word and start is not None:
            parts.append(re.escape(chr(start)) + "-" + re.escape(chr(cp - 1)))
            start = None
    return re.compile("[" + "".join(parts) + "]+")


WORD_RUN = word_class_pattern()
FOLD = {cp: spec.fold(cp) for cp in range(spec.MAX_CODE_POINT + 1)
        if not 0xD800 <= cp <= 0xDFFF and spec.fold(cp) != cp}


def reference_words(data: bytes):
    """[(position, folded word)]: invalid UTF-8 becomes U+FFFD, a separator."""
    text = data.decode("utf-8", errors="replace")
    out = []
    for position, m in enumerate(WORD_RUN.finditer(text)):
        word = m.group().translate(FOLD).encode()
        if len(word) > MAX_WORD_BYTES:  # cut at the last whole code point that fits
            word = word[:MAX_WORD_BYTES].decode(errors="ignore").encode()
        out.append((position, word))
    return out


def cpp_words(data: bytes) -> bytes:
    """words_dump's output: a line "position<TAB>word" per word."""
    binary = os.environ["LOGSVC_WORDS_DUMP"]
    return subprocess.run([binary], input=data, capture_output=True, check=True,
                          timeout=120).stdout


class WordsAgreeWithPython(unittest.TestCase):
    def assertSameWords(self, data: bytes):
        want = b"".join(b"%d\t%s\n" % w for w in reference_words(data))
        got = cpp_words(data)
        if want != got:
            for i, (w, g) in enumerate(zip(want.split(b"\n"), got.split(b"\n"))):
                self.assertEqual(w, g, f"line {i} of the words (position, word): Python, C++")
            self.fail("Python and C++ find a different number of words")

    def test_unicode_version(self):
        self.assertEqual(unicodedata.unidata_version, spec.UNICODE_VERSION,
                         "python3's unicodedata differs from the tables' version")

    def test_committed_tables_are_generated(self):
        committed = (ROOT / "src" / "core" / "unicode_tables.inc").read_text()
        self.assertTrue(committed == spec.render(),
                        "src/core/unicode_tables.inc is stale: run scripts/gen_unicode_tables.py")

    def test_every_code_point_inside_a_word(self):
        # "a<cp>b": one word if cp is a word character (folded), else "a", "b".
        pieces = [b"a" + chr(cp).encode() + b"b" for cp in range(spec.MAX_CODE_POINT + 1)
                  if not 0xD800 <= cp <= 0xDFFF]
        self.assertSameWords(b" ".join(pieces))

    def test_every_code_point_alone(self):
        pieces = [chr(cp).encode() for cp in range(0x80, spec.MAX_CODE_POINT + 1)
                  if not 0xD800 <= cp <= 0xDFFF]
        self.assertSameWords(b"\n".join(pieces))

    def test_random_texts(self):
        rng = random.Random(20261201)
        word_chars = [chr(cp) for cp in range(0x10000) if spec.is_word_char(cp)
                      and not 0xD800 <= cp <= 0xDFFF]
        word_chars += [chr(cp) for cp in range(0x10000, 0x30000, 97) if spec.is_word_char(cp)]
        invalid = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1", b"\xe0\x83\xa9", b"\xf0\x80\x83\xa9",
                   b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf5", b"\xff",
                   b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3"]
        texts = []
        for _ in range(3000):
            parts = []
            for _ in range(rng.randint(1, 30)):
                kind = rng.random()
                if kind < 0.45:
                    parts.append("".join(rng.choice(word_chars)
                                         for _ in range(rng.randint(1, 12))).encode())
                elif kind < 0.55:  # around the cut: 2-, 3- and 4-byte characters
                    ch = rng.choice(["a", "é", "あ", "𝐀", "Ɐ", "ẞ"])
                    parts.append((ch * rng.randint(60, 270)).encode())
                elif kind < 0.7:
                    parts.append(rng.choice(invalid))
                elif kind < 0.8:
                    parts.append(chr(rng.randint(0x80, 0x10FFFF)).encode("utf-8", "surrogatepass"))
                else:
                    parts.append(rng.choice([b" ", b".", b"-", b"=", b"\t", b"\x00", b"!",
                                             "\u00a0".encode(), "😀".encode(), "\u3000".encode()]))
            texts.append(b"".join(parts))
        self.assertSameWords(b"\n".join(texts))


if __name__ == "__main__":
    unittest.main()
