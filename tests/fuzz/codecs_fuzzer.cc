// Fuzzes three decoders of bytes that come from outside: the storage key
// codec (core/store/key_codec.h; keys come back from RocksDB and from page
// tokens), page tokens (core/records/page_token.h; any client sends them)
// and the CSV reader of `rapportctl import` (tools/common/csv_reader.h).
// The first byte picks one. Checks, beyond not crashing: a key written from
// the input's components reads back to the same components; a token the
// fuzzer did not sign is refused with INVALID_ARGUMENT; the CSV reader makes
// progress and ends.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/records/page_token.h"
#include "core/store/key_codec.h"
#include "tools/common/csv_reader.h"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

// Reads `key` with the component kinds `schema` lists; returns whether all
// read. Whatever the bytes, this must not crash.
void ReadAny(std::string_view key, std::string_view schema) {
  rapport::store::KeyReader reader(key);
  for (char kind : schema) {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    std::string s;
    bool ok = false;
    switch (static_cast<uint8_t>(kind) % 8) {
      case 0:
        ok = reader.U8(&u8);
        break;
      case 1:
        ok = reader.U16(&u16);
        break;
      case 2:
        ok = reader.U32(&u32);
        break;
      case 3:
        ok = reader.U64(&u64);
        break;
      case 4:
        ok = reader.I64Desc(&i64);
        break;
      case 5:
        ok = reader.String(&s);
        break;
      case 6:
        ok = reader.StringDesc(&s);
        break;
      case 7:
        ok = reader.Bytes16(&s);
        break;
    }
    if (!ok) return;
  }
}

void KeyRoundTrip(std::string_view input) {
  // Split the input into string components at 0xFE and write them with
  // alternating ascending and descending encodings, then a number.
  std::vector<std::string> parts;
  std::string current;
  for (char c : input) {
    if (static_cast<uint8_t>(c) == 0xFE) {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(current);
  rapport::store::KeyWriter writer;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i % 2 == 0) {
      writer.String(parts[i]);
    } else {
      writer.StringDesc(parts[i]);
    }
  }
  writer.I64(static_cast<int64_t>(input.size()) - 7);
  rapport::store::KeyReader reader(writer.key());
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string back;
    Require(i % 2 == 0 ? reader.String(&back) : reader.StringDesc(&back));
    Require(back == parts[i]);
  }
  int64_t number = 0;
  Require(reader.I64(&number) && number == static_cast<int64_t>(input.size()) - 7);
  Require(reader.done());
  // Order: a key is below its prefix successor.
  const std::string successor = rapport::store::PrefixSuccessor(writer.key());
  Require(successor.empty() || writer.key() < successor);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      const size_t split = input.empty() ? 0 : static_cast<uint8_t>(input[0]) % (input.size());
      ReadAny(input.substr(split), input.substr(0, split));
      break;
    }
    case 1:
      KeyRoundTrip(input);
      break;
    case 2: {
      static const rapport::records::PageTokenCodec codec("fuzz-secret-0123456789abcdef");
      const std::string fingerprint = rapport::records::PageTokenCodec::Fingerprint("q");
      auto decoded = codec.Decode(input, fingerprint);
      // Forging a token means guessing its HMAC: the fuzzer cannot.
      Require(!decoded.ok() && decoded.status().code() == absl::StatusCode::kInvalidArgument);
      // What the codec signs, it takes back (tokens are capped at 4 KiB).
      if (input.size() > 1000) break;
      auto back = codec.Decode(codec.Encode(fingerprint, input), fingerprint);
      Require(back.ok() && *back == input);
      break;
    }
    case 3: {
      std::istringstream in{std::string(input)};
      rapport::tools::CsvReader reader(in);
      std::vector<std::string> fields;
      uint64_t records = 0;
      for (;;) {
        const auto result = reader.Next(&fields);
        if (result == rapport::tools::CsvReader::Result::kEnd) break;
        Require(++records <= input.size() + 1);  // progress: it ends
        if (result == rapport::tools::CsvReader::Result::kRecord) {
          for (const std::string& f : fields) Require(f.size() <= input.size());
        }
      }
      break;
    }
  }
  return 0;
}
