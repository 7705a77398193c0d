#include "tools/common/csv_reader.h"

#include <sys/resource.h>

#include <sstream>
#include <streambuf>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::tools {
namespace {

using ::testing::ElementsAre;

TEST(CsvReaderTest, ReadsQuotedFieldsEmbeddedNewlinesAndReportsStartLines) {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "a,b,c\r\n"
      "1,\"two, with comma\",3\r\n"
      "\"multi\nline\",\"say \"\"hi\"\"\",\n"
      "\n"
      "last,,x");
  CsvReader reader(in);
  std::vector<std::string> f;
  ASSERT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_THAT(f, ElementsAre("a", "b", "c"));
  EXPECT_EQ(reader.line(), 1u);
  ASSERT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_THAT(f, ElementsAre("1", "two, with comma", "3"));
  ASSERT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_THAT(f, ElementsAre("multi\nline", "say \"hi\"", ""));
  EXPECT_EQ(reader.line(), 3u);
  ASSERT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_THAT(f, ElementsAre("last", "", "x"));
  EXPECT_EQ(reader.line(), 6u);
  EXPECT_EQ(reader.Next(&f), CsvReader::Result::kEnd);
}

TEST(CsvReaderTest, MalformedRecordsAreErrorsAndReadingContinues) {
  std::istringstream in("ok,1\nbad\"quote,2\n\"closed\"trailing,3\nfine,4\n\"never closed,5\n");
  CsvReader reader(in);
  std::vector<std::string> f;
  EXPECT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_EQ(reader.Next(&f), CsvReader::Result::kError);
  EXPECT_EQ(reader.line(), 2u);
  EXPECT_EQ(reader.Next(&f), CsvReader::Result::kError);
  EXPECT_EQ(reader.line(), 3u);
  ASSERT_EQ(reader.Next(&f), CsvReader::Result::kRecord);
  EXPECT_THAT(f, ElementsAre("fine", "4"));
  EXPECT_EQ(reader.Next(&f), CsvReader::Result::kError);
  EXPECT_THAT(reader.error(), ::testing::HasSubstr("unterminated"));
}

TEST(CsvReaderTest, Utf8CheckRejectsEucKrAndOverlongs) {
  EXPECT_TRUE(IsUtf8("김민수 Kim"));
  EXPECT_FALSE(IsUtf8("\xB1\xE8\xB9\xCE\xBC\xF6"));  // 김민수 in EUC-KR
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));                  // overlong '/'
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));              // surrogate
  EXPECT_FALSE(IsUtf8("\xE1\x84"));                  // truncated
}

// An endless generator of CSV rows, so a gigabyte flows through the reader
// without ever existing on disk or in memory.
class GeneratedCsv : public std::streambuf {
 public:
  explicit GeneratedCsv(uint64_t total) : remaining_(total) {}

 protected:
  int_type underflow() override {
    if (remaining_ == 0) return traits_type::eof();
    line_ = "\"고객 " + std::to_string(n_++) +
            "\",customer@example.kr,\"note with, comma\",ERP-12345\n";
    if (line_.size() > remaining_) line_.resize(remaining_);
    remaining_ -= line_.size();
    setg(line_.data(), line_.data(), line_.data() + line_.size());
    return traits_type::to_int_type(line_[0]);
  }

 private:
  uint64_t remaining_;
  uint64_t n_ = 0;
  std::string line_;
};

long MaxRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(CsvReaderTest, AOneGigabyteStreamIsReadInConstantMemory) {
  constexpr uint64_t kBytes = 1ull << 30;
  GeneratedCsv source(kBytes);
  std::istream in(&source);
  CsvReader reader(in);
  std::vector<std::string> fields;
  const long before = MaxRssKib();
  uint64_t records = 0;
  CsvReader::Result result;
  while ((result = reader.Next(&fields)) != CsvReader::Result::kEnd) {
    if (result == CsvReader::Result::kRecord) ++records;
  }
  EXPECT_EQ(reader.bytes_read(), kBytes);
  EXPECT_GT(records, 10'000'000u);
  // Memory: a record at a time, whatever the input size.
  EXPECT_LT(MaxRssKib() - before, 16 * 1024) << "peak RSS grew by more than 16 MiB";
}

}  // namespace
}  // namespace rapport::tools
