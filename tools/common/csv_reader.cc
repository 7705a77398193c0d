#include "tools/common/csv_reader.h"

namespace rapport::tools {

int CsvReader::Get() {
  int c = in_.get();
  if (c != EOF) ++bytes_;
  return c;
}

CsvReader::Result CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  error_.clear();
  if (!started_) {
    started_ = true;
    // Skip a UTF-8 byte-order mark (Excel writes one).
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() == 3 && bom[1] == '\xBB' && bom[2] == '\xBF') {
        bytes_ += 3;
      } else {
        in_.clear();
        in_.seekg(-in_.gcount(), std::ios::cur);
      }
    }
  }
  int c = Get();
  // Skip blank lines between records.
  while (c == '\r' || c == '\n') {
    if (c == '\n') ++current_line_;
    c = Get();
  }
  if (c == EOF) return Result::kEnd;
  record_line_ = current_line_;
  std::string field;
  size_t record_bytes = 0;
  bool quoted = false, after_quote = false;
  auto fail = [&](std::string why) {
    error_ = std::move(why);
    // Resynchronise at the next line end outside quotes (best effort).
    while (c != EOF && c != '\n') c = Get();
    if (c == '\n') ++current_line_;
    return Result::kError;
  };
  for (;; c = Get()) {
    if (++record_bytes > kMaxRecordBytes)
      return fail("record longer than 1 MiB (unbalanced quote?)");
    if (quoted) {
      if (c == EOF) return fail("unterminated quoted field at end of file");
      if (c == '"') {
        if (in_.peek() == '"') {
          field.push_back('"');
          Get();
        } else {
          quoted = false;
          after_quote = true;
        }
        continue;
      }
      if (c == '\n') ++current_line_;
      field.push_back(static_cast<char>(c));
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      after_quote = false;
      continue;
    }
    if (c == '\r' && in_.peek() == '\n') continue;
    if (c == '\n' || c == EOF) {
      if (c == '\n') ++current_line_;
      fields->push_back(std::move(field));
      return Result::kRecord;
    }
    if (after_quote)
      return fail("text after a closing quote (quote the whole field, double inner quotes)");
    if (c == '"') {
      if (!field.empty()) return fail("quote inside an unquoted field (quote the whole field)");
      quoted = true;
      continue;
    }
    field.push_back(static_cast<char>(c));
  }
}

bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 0;
    if (n == 0 || i + n >= s.size()) return false;
    uint32_t cp = c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace rapport::tools
