#include "core/store/key_codec.h"

namespace rapport::store {
namespace {

void AppendFixed(std::string* out, uint64_t v, int bytes, bool complement) {
  for (int i = bytes - 1; i >= 0; --i) {
    uint8_t b = static_cast<uint8_t>(v >> (8 * i));
    out->push_back(static_cast<char>(complement ? ~b : b));
  }
}

void AppendEscaped(std::string* out, std::string_view v, bool complement) {
  auto put = [&](uint8_t b) { out->push_back(static_cast<char>(complement ? ~b : b)); };
  for (char c : v) {
    put(static_cast<uint8_t>(c));
    if (c == '\0') put(0xFF);
  }
  put(0x00);
  put(0x01);
}

constexpr uint64_t kSignBit = 0x8000000000000000ULL;

}  // namespace

KeyWriter& KeyWriter::U8(uint8_t v) {
  AppendFixed(&key_, v, 1, false);
  return *this;
}
KeyWriter& KeyWriter::U16(uint16_t v) {
  AppendFixed(&key_, v, 2, false);
  return *this;
}
KeyWriter& KeyWriter::U32(uint32_t v) {
  AppendFixed(&key_, v, 4, false);
  return *this;
}
KeyWriter& KeyWriter::U64(uint64_t v) {
  AppendFixed(&key_, v, 8, false);
  return *this;
}
KeyWriter& KeyWriter::I64(int64_t v) {
  AppendFixed(&key_, static_cast<uint64_t>(v) ^ kSignBit, 8, false);
  return *this;
}
KeyWriter& KeyWriter::I64Desc(int64_t v) {
  AppendFixed(&key_, static_cast<uint64_t>(v) ^ kSignBit, 8, true);
  return *this;
}
KeyWriter& KeyWriter::U64Desc(uint64_t v) {
  AppendFixed(&key_, v, 8, true);
  return *this;
}
KeyWriter& KeyWriter::String(std::string_view v) {
  AppendEscaped(&key_, v, false);
  return *this;
}
KeyWriter& KeyWriter::StringDesc(std::string_view v) {
  AppendEscaped(&key_, v, true);
  return *this;
}
KeyWriter& KeyWriter::Bytes16(std::string_view v) {
  key_.append(v.data(), 16);
  return *this;
}
KeyWriter& KeyWriter::Raw(std::string_view v) {
  key_.append(v);
  return *this;
}

bool KeyReader::Fixed(size_t n, uint64_t* v, bool complement) {
  if (rest_.size() < n) return false;
  uint64_t r = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = static_cast<uint8_t>(rest_[i]);
    r = (r << 8) | static_cast<uint8_t>(complement ? ~b : b);
  }
  rest_.remove_prefix(n);
  *v = r;
  return true;
}

bool KeyReader::U8(uint8_t* v) {
  uint64_t r;
  if (!Fixed(1, &r, false)) return false;
  *v = static_cast<uint8_t>(r);
  return true;
}
bool KeyReader::U16(uint16_t* v) {
  uint64_t r;
  if (!Fixed(2, &r, false)) return false;
  *v = static_cast<uint16_t>(r);
  return true;
}
bool KeyReader::U32(uint32_t* v) {
  uint64_t r;
  if (!Fixed(4, &r, false)) return false;
  *v = static_cast<uint32_t>(r);
  return true;
}
bool KeyReader::U64(uint64_t* v) { return Fixed(8, v, false); }
bool KeyReader::U64Desc(uint64_t* v) { return Fixed(8, v, true); }
bool KeyReader::I64(int64_t* v) {
  uint64_t r;
  if (!Fixed(8, &r, false)) return false;
  *v = static_cast<int64_t>(r ^ kSignBit);
  return true;
}
bool KeyReader::I64Desc(int64_t* v) {
  uint64_t r;
  if (!Fixed(8, &r, true)) return false;
  *v = static_cast<int64_t>(r ^ kSignBit);
  return true;
}
bool KeyReader::Bytes16(std::string* v) {
  if (rest_.size() < 16) return false;
  v->assign(rest_.data(), 16);
  rest_.remove_prefix(16);
  return true;
}

namespace {
bool ReadEscaped(std::string_view* rest, std::string* out, bool complement) {
  auto at = [&](size_t i) {
    uint8_t b = static_cast<uint8_t>((*rest)[i]);
    return static_cast<uint8_t>(complement ? ~b : b);
  };
  if (out) out->clear();
  size_t i = 0;
  while (i < rest->size()) {
    uint8_t b = at(i);
    if (b != 0x00) {
      if (out) out->push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    if (i + 1 >= rest->size()) return false;
    uint8_t next = at(i + 1);
    if (next == 0xFF) {
      if (out) out->push_back('\0');
      i += 2;
    } else if (next == 0x01) {
      rest->remove_prefix(i + 2);
      return true;
    } else {
      return false;
    }
  }
  return false;
}
}  // namespace

bool KeyReader::String(std::string* v) { return ReadEscaped(&rest_, v, false); }
bool KeyReader::StringDesc(std::string* v) { return ReadEscaped(&rest_, v, true); }
bool KeyReader::SkipString(bool descending) { return ReadEscaped(&rest_, nullptr, descending); }

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    uint8_t last = static_cast<uint8_t>(s.back());
    if (last != 0xFF) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace rapport::store
