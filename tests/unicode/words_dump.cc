// Prints the words of its standard input, one per line as "position<TAB>word",
// for tests/unicode/check_words.py to compare with Python's unicodedata.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "core/words.h"

int main() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string out;
  logsvc::words::WordReader reader(text);
  logsvc::words::Word w;
  while (reader.Next(&w)) {
    out += std::to_string(w.position);
    out += '\t';
    out += w.text;
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
