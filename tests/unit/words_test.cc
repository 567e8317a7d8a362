// Unit tests of the search tokenizer (src/core/words.h): what a message splits
// into. tests/unicode/check_words.py checks every code point against Python;
// these pin the documented examples (docs/search.md) and the edge cases.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/words.h"

namespace logsvc::words {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  WordReader reader(text);
  Word w;
  while (reader.Next(&w)) out.emplace_back(w.text);
  return out;
}

using V = std::vector<std::string>;

TEST(Words, TheReadmeExamples) {
  EXPECT_EQ(Split("user_id=42"), (V{"user_id", "42"}));
  EXPECT_EQ(Split("10.0.0.1"), (V{"10", "0", "0", "1"}));
  EXPECT_EQ(Split("Timeout!"), (V{"timeout"}));
  EXPECT_EQ(Split("Connection: timeout!"), (V{"connection", "timeout"}));
  EXPECT_EQ(Split("GET /api/v2/users?id=7 -> HTTP 503"),
            (V{"get", "api", "v2", "users", "id", "7", "http", "503"}));
  EXPECT_EQ(Split("retry-after: 30s"), (V{"retry", "after", "30s"}));
  EXPECT_EQ(Split("Überweisung fehlgeschlagen: Konto gesperrt"),
            (V{"überweisung", "fehlgeschlagen", "konto", "gesperrt"}));
  EXPECT_EQ(Split("Ошибка: ВРЕМЯ истекло"), (V{"ошибка", "время", "истекло"}));
  EXPECT_EQ(Split("l'ÉCOLE"), (V{"l", "école"}));
}

TEST(Words, UnderscoreJoinsDigitsAndLettersJoin) {
  EXPECT_EQ(Split("__init__ snake_case_42 x1y2"), (V{"__init__", "snake_case_42", "x1y2"}));
  EXPECT_EQ(Split("_"), (V{"_"}));
}

TEST(Words, EverythingElseSeparates) {
  EXPECT_EQ(Split("a.b,c;d:e/f\\g|h-i+j*k\"l'm(n)o[p]q{r}s<t>u@v#w$x%y^z&a~b`c?d!e=f"),
            (V{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
               "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(Split(std::string("a\0b\tc\nd\re", 9)), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(Split("a\u00A0b\u3000c\u2028d"), (V{"a", "b", "c", "d"}));  // Unicode spaces
  EXPECT_EQ(Split(""), V{});
  EXPECT_EQ(Split(" ... !!! "), V{});
}

TEST(Words, EmojiAndSymbolsSeparate) {
  EXPECT_EQ(Split("deploy🚀done"), (V{"deploy", "done"}));
  EXPECT_EQ(Split("ok✅ 👍🏽fine ❤️love"), (V{"ok", "fine", "love"}));
  EXPECT_EQ(Split("price: 5€ or ¥500"), (V{"price", "5", "or", "500"}));
}

TEST(Words, DigitsAndOtherNumbers) {
  EXPECT_EQ(Split("٣٤ ३४ 12"), (V{"٣٤", "३४", "12"}));  // Nd of any script
  EXPECT_EQ(Split("x² ½ ①"), (V{"x"}));                 // No: separators
  EXPECT_EQ(Split("Chapter Ⅻ"), (V{"chapter", "ⅻ"}));   // Nl: a word, folded
  EXPECT_EQ(Split("二〇二六年"), (V{"二〇二六年"}));    // U+3007 is Nl
}

TEST(Words, CjkRunsAreOneWord) {
  // No spaces between CJK words, so a run is one word: find it with a prefix.
  EXPECT_EQ(Split("東京でエラーが発生 code=42"), (V{"東京でエラーが発生", "code", "42"}));
  EXPECT_EQ(Split("서버 오류"), (V{"서버", "오류"}));
}

TEST(Words, CombiningMarksSeparate) {
  // A decomposed "é" (e + U+0301): the mark is not a letter. No normalization.
  EXPECT_EQ(Split("e\u0301cole"), (V{"e", "cole"}));
  EXPECT_EQ(Split("हिन्दी"), (V{"ह", "न", "द"}));
}

TEST(Words, SimpleCaseFolding) {
  EXPECT_EQ(Split("ÉCOLE école École"), (V{"école", "école", "école"}));
  // Greek: final sigma and capital sigma fold to σ.
  EXPECT_EQ(Split("ΣΟΦΟΣ σοφος σοφοσ"), (V{"σοφοσ", "σοφοσ", "σοφοσ"}));
  // Simple folding maps one code point to one: ß stays ß (not "ss"), ẞ is ß.
  EXPECT_EQ(Split("Straße STRASSE STRAẞE"), (V{"straße", "strasse", "straße"}));
  // Turkish: I folds to i (not ı); İ and ı have no simple folding.
  EXPECT_EQ(Split("DİYARBAKIR diyarbakır I ı İ i"),
            (V{"d\u0130yarbakir", "diyarbak\u0131r", "i", "\u0131", "\u0130", "i"}));
  EXPECT_EQ(Split("\u212A \u017F \u01C5 \u13F8 \uAB70"),  // Kelvin, long s, Dž, Cherokee
            (V{"k", "s", "\u01C6", "\u13F0", "\u13A0"}));
  EXPECT_EQ(Split("𐐀𐐨"), (V{"𐐨𐐨"}));  // Deseret, beyond the BMP
}

TEST(Words, InvalidUtf8Separates) {
  EXPECT_EQ(Split("ab\xFF"
                  "cd"),
            (V{"ab", "cd"}));
  EXPECT_EQ(Split("ab\xC3"), (V{"ab"}));  // truncated at the end
  EXPECT_EQ(Split("ab\xE2\x82"
                  "cd"),
            (V{"ab", "cd"}));  // truncated in the middle
  EXPECT_EQ(Split("a\xC0\xAF"
                  "b"),
            (V{"a", "b"}));  // overlong '/'
  EXPECT_EQ(Split("a\xE0\x80\xC1"
                  "b"),
            (V{"a", "b"}));  // overlong
  EXPECT_EQ(Split("a\xE0\x83\xA9"
                  "b"),
            (V{"a", "b"}));  // "é" overlong in 3 bytes
  EXPECT_EQ(Split("a\xF0\x80\x83\xA9"
                  "b"),
            (V{"a", "b"}));  // and in 4
  EXPECT_EQ(Split("a\xED\xA0\x80"
                  "b"),
            (V{"a", "b"}));  // a surrogate
  EXPECT_EQ(Split("a\xF4\x90\x80\x80"
                  "b"),
            (V{"a", "b"}));  // above U+10FFFF
  EXPECT_EQ(Split("a\x80\xBF"
                  "b"),
            (V{"a", "b"}));                    // stray continuation bytes
  EXPECT_EQ(Split("\xC3\xC3\xA9"), (V{"é"}));  // resynchronizes at once
}

TEST(Words, PositionsAndOffsets) {
  std::string text = "  Foo, bär!baz";
  WordReader reader(text);
  Word w;
  ASSERT_TRUE(reader.Next(&w));
  EXPECT_EQ(w.text, "foo");
  EXPECT_EQ(w.position, 0u);
  EXPECT_EQ(text.substr(w.begin, w.end - w.begin), "Foo");
  ASSERT_TRUE(reader.Next(&w));
  EXPECT_EQ(w.text, "bär");
  EXPECT_EQ(w.position, 1u);
  EXPECT_EQ(text.substr(w.begin, w.end - w.begin), "bär");
  ASSERT_TRUE(reader.Next(&w));
  EXPECT_EQ(w.position, 2u);
  EXPECT_EQ(w.end, text.size());
  EXPECT_FALSE(reader.Next(&w));
  EXPECT_FALSE(reader.Next(&w));
}

TEST(Words, LongWordsAreCutAtWholeCodePoints) {
  EXPECT_EQ(Split(std::string(300, 'A') + " next"), (V{std::string(256, 'a'), "next"}));
  EXPECT_EQ(Split(std::string(256, 'a')), (V{std::string(256, 'a')}));
  // 255 bytes, then "é" (2 bytes) does not fit: cut there, and the "b" after
  // it is not appended either (a word is a prefix of the folded run).
  EXPECT_EQ(Split(std::string(255, 'a') + "éb"), (V{std::string(255, 'a')}));
  std::string euro;  // 3-byte letters: 85 fit in 255 bytes
  for (int i = 0; i < 100; ++i) euro += "あ";
  std::string cut;
  for (int i = 0; i < 85; ++i) cut += "あ";
  EXPECT_EQ(Split(euro + " x"), (V{cut, "x"}));
  // Folding can grow a word (U+023A is 2 bytes, its folding U+2C65 is 3).
  std::string grow;
  for (int i = 0; i < 128; ++i) grow += "\u023A";
  std::string folded;
  for (int i = 0; i < 85; ++i) folded += "\u2C65";
  EXPECT_EQ(Split(grow), (V{folded}));
}

TEST(Words, ClassesAndFolding) {
  EXPECT_TRUE(IsWordChar('a'));
  EXPECT_TRUE(IsWordChar('_'));
  EXPECT_TRUE(IsWordChar('7'));
  EXPECT_FALSE(IsWordChar('-'));
  EXPECT_FALSE(IsWordChar(0));
  EXPECT_TRUE(IsWordChar(0x00E9));    // é
  EXPECT_TRUE(IsWordChar(0x4E00));    // 一
  EXPECT_TRUE(IsWordChar(0x2160));    // Ⅰ (Nl)
  EXPECT_FALSE(IsWordChar(0x00B2));   // ² (No)
  EXPECT_FALSE(IsWordChar(0x0301));   // combining acute (Mn)
  EXPECT_FALSE(IsWordChar(0x1F680));  // 🚀
  EXPECT_FALSE(IsWordChar(0x110000));
  EXPECT_EQ(FoldCase('A'), U'a');
  EXPECT_EQ(FoldCase('-'), U'-');
  EXPECT_EQ(FoldCase(0x00C9), 0x00E9u);
  EXPECT_EQ(FoldCase(0x0100), 0x0101u);  // a stride-2 range
  EXPECT_EQ(FoldCase(0x0101), 0x0101u);
  EXPECT_EQ(FoldCase(0x24B6), 0x24B6u);  // Ⓐ is a symbol: never folded
}

}  // namespace
}  // namespace logsvc::words
