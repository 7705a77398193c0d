// File: tools/common/csv_reader.h
//
// A streaming RFC 4180 CSV reader: quoted fields with "" escapes, embedded
// commas and newlines, CRLF or LF, an optional UTF-8 BOM. Memory is bounded
// by the longest record (capped), not the file. Each record reports the
// physical line it starts on, which import errors quote.
//
// Hand-written rather than Debian's libcsv because libcsv does not report
// where a record starts, and every bad-row message must name its line.
#ifndef RAPPORT_TOOLS_COMMON_CSV_READER_H_
#define RAPPORT_TOOLS_COMMON_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace rapport::tools {

class CsvReader {
 public:
  static constexpr size_t kMaxRecordBytes = 1 << 20;

  explicit CsvReader(std::istream& in) : in_(in) {}

  enum class Result { kRecord, kEnd, kError };
  // Reads the next record into `fields`. kError: `error()` says why (the
  // record is skipped up to the next line and reading can go on).
  Result Next(std::vector<std::string>* fields);

  // The line the last record started on (1-based).
  uint64_t line() const { return record_line_; }
  const std::string& error() const { return error_; }
  // Bytes consumed so far (for progress).
  uint64_t bytes_read() const { return bytes_; }

 private:
  int Get();
  std::istream& in_;
  uint64_t current_line_ = 1;
  uint64_t record_line_ = 0;
  uint64_t bytes_ = 0;
  bool started_ = false;
  std::string error_;
};

// True if `s` is well-formed UTF-8.
bool IsUtf8(const std::string& s);

}  // namespace rapport::tools

#endif  // RAPPORT_TOOLS_COMMON_CSV_READER_H_
