// ReadManifest: strict JSON (RFC 8259, no extensions), the position of a
// syntax error, duplicate keys, and every field check.
#include "core/plugin_host/manifest.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace rapport::plugin_host {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ManifestTest : public ::testing::Test {
 protected:
  // Writes `content` to x.manifest.json and reads it back.
  absl::StatusOr<Manifest> Read(const std::string& content) {
    path_ = dir_.Sub("x.manifest.json");
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << content;
    return ReadManifest(path_);
  }
  // The error message of reading `content`, which must be refused.
  std::string Refusal(const std::string& content) {
    auto m = Read(content);
    EXPECT_FALSE(m.ok()) << "accepted: " << content;
    if (m.ok()) return "";
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(m.status().message());
    EXPECT_THAT(message, HasSubstr("manifest " + path_ + ": "));
    return message;
  }

  testing::TempDir dir_;
  std::string path_;
};

TEST_F(ManifestTest, ReadsAWellFormedManifest) {
  auto m = Read(R"({
  "name": "hello",
  "version": "1.2.3",
  "abi_major": 1,
  "requires": ["guard", "second-one"],
  "services": ["rapport.hello.v1.HelloService"],
  "description": {"nested": ["ignored", 1, null, true]}
})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name, "hello");
  EXPECT_EQ(m->version, "1.2.3");
  EXPECT_EQ(m->abi_major, 1);
  EXPECT_THAT(m->requires_modules, ElementsAre("guard", "second-one"));
  EXPECT_TRUE(m->requires_versions.empty());
  auto ranged = Read(R"({"name": "a", "version": "1.0.0", "abi_major": 1,
                         "requires": ["guard", {"module": "sfa", "versions": ">=1.2.0 <2.0.0"}]})");
  ASSERT_TRUE(ranged.ok()) << ranged.status();
  EXPECT_THAT(ranged->requires_modules, ElementsAre("guard", "sfa"));
  EXPECT_EQ(ranged->requires_versions.at("sfa"), ">=1.2.0 <2.0.0");
  EXPECT_THAT(m->services, ElementsAre("rapport.hello.v1.HelloService"));
  // An integral float is an integer, as it always was.
  auto one = Read(R"({"name": "a", "version": "1", "abi_major": 1.0})");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->abi_major, 1);
}

TEST_F(ManifestTest, RefusesAByteOrderMarkAsBefore) {
  EXPECT_THAT(Refusal("\xEF\xBB\xBF{\"name\": \"a\", \"version\": \"1\", \"abi_major\": 1}"),
              HasSubstr("not valid JSON: line 1, column 1 (byte offset 0): starts with a byte "
                        "order mark"));
}

TEST_F(ManifestTest, RefusesAnUnquotedKeyNamingItsPosition) {
  std::string why = Refusal(R"({"name": "x", "version": "1.0.0", abi_major: 1})");
  EXPECT_THAT(why, HasSubstr("not valid JSON: line 1, column 35 (byte offset 34): "));
  EXPECT_THAT(why, HasSubstr("expected string literal"));
  EXPECT_THAT(Refusal("{abi_major:1}"), HasSubstr("line 1, column 2 (byte offset 1)"));
}

TEST_F(ManifestTest, RefusesATrailingCommaNamingItsPosition) {
  EXPECT_THAT(Refusal("{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\",\n  \"abi_major\": 1,\n}\n"),
              HasSubstr("not valid JSON: line 5, column 1 (byte offset 57): "));
  EXPECT_THAT(Refusal(R"({"name": "x", "version": "1", "abi_major": 1, "requires": ["a",]})"),
              HasSubstr("not valid JSON: line 1, column 64 (byte offset 63): "));
}

TEST_F(ManifestTest, RefusesSingleQuotesNamingTheirPosition) {
  EXPECT_THAT(Refusal(R"({'name': 'x', 'version': '1.0.0', 'abi_major': 1})"),
              HasSubstr("not valid JSON: line 1, column 2 (byte offset 1): "));
  EXPECT_THAT(Refusal(R"({"name": 'x', "version": "1.0.0", "abi_major": 1})"),
              HasSubstr("not valid JSON: line 1, column 10 (byte offset 9): "));
}

TEST_F(ManifestTest, RefusesCommentsNamingTheirPosition) {
  EXPECT_THAT(Refusal("// hello\n{\"name\": \"x\", \"version\": \"1.0.0\", \"abi_major\": 1}"),
              HasSubstr("not valid JSON: line 1, column 1 (byte offset 0): "));
  EXPECT_THAT(Refusal("{\"name\": \"x\",\n /* why */ \"version\": \"1.0.0\", \"abi_major\": 1}"),
              HasSubstr("not valid JSON: line 2, column 2 (byte offset 15): "));
  EXPECT_THAT(Refusal("{\"name\": \"x\", \"version\": \"1.0.0\", \"abi_major\": 1 # why\n}"),
              HasSubstr("not valid JSON: line 1, column 50 (byte offset 49): "));
}

TEST_F(ManifestTest, RefusesDuplicateKeysNamingTheKey) {
  // Lenient parsers keep the last value, so the host and a tool reading the
  // same file could disagree on the ABI.
  std::string why = Refusal(R"({"name": "x", "version": "1.0.0", "abi_major": 1, "abi_major": 2})");
  EXPECT_THAT(why, HasSubstr(R"(duplicate key "abi_major")"));
  EXPECT_THAT(
      Refusal(R"({"name": "x", "version": "1", "abi_major": 1, "extra": {"k": 1, "k": 2}})"),
      HasSubstr(R"(duplicate key "k")"));
  // The same key in sibling objects is no duplicate.
  EXPECT_TRUE(
      Read(R"({"name": "x", "version": "1", "abi_major": 1, "a": {"k": 1}, "b": {"k": 1}})").ok());
}

TEST_F(ManifestTest, RefusesATruncatedFileNamingWhereItEnds) {
  std::string why = Refusal(R"({"name": "x", "version": "1.)");
  EXPECT_THAT(why, HasSubstr("not valid JSON: line 1, column 29 (byte offset 28): "));
  EXPECT_THAT(why, HasSubstr("missing closing quote"));
  EXPECT_THAT(Refusal("{\"name\": \"x\",\n\"version\": \"1.0.0\",\n\"abi_major\": 1"),
              HasSubstr("not valid JSON: line 3, column 15 (byte offset 48): "));
  EXPECT_THAT(Refusal(""), HasSubstr("not valid JSON: line 1, column 1 (byte offset 0): "));
}

TEST_F(ManifestTest, RefusalsAreOneLineOfValidUtf8) {
  // The parser quotes what it last read; a raw newline or an ill-formed byte
  // must not reach the log or ListModules (a proto string) as is.
  for (const std::string& bad :
       {std::string("{\"name\": \"\xff\xfe\"}"), std::string("{\"name\": \"a\nb\"}"),
        std::string("{\"name\": \"x\", \"version\": \"1\", \"abi_major\": 1} \xC3")}) {
    std::string why = Refusal(bad);
    EXPECT_THAT(why, HasSubstr("not valid JSON: line 1, column "));
    EXPECT_THAT(why, Not(HasSubstr("\n")));
    for (unsigned char c : why) EXPECT_LT(c, 0x80) << why;
  }
}

TEST_F(ManifestTest, RefusesAnythingButAnObjectAtTheTop) {
  EXPECT_THAT(Refusal(R"(["name", "x"])"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(Refusal("1"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(Refusal(R"({"name": "x"} {"name": "y"})"),
              HasSubstr("not valid JSON: line 1, column 15 (byte offset 14): "));
}

TEST_F(ManifestTest, DeepNestingInIgnoredFieldsIsParsedWithoutRecursion) {
  const int depth = 30000;  // within 64 KiB
  auto m = Read(R"({"name": "x", "version": "1", "abi_major": 1, "deep": )" +
                std::string(depth, '[') + std::string(depth, ']') + "}");
  EXPECT_TRUE(m.ok()) << m.status();
}

TEST_F(ManifestTest, KeepsEveryFieldCheck) {
  EXPECT_THAT(Refusal(R"({"name": "Bad", "version": "1", "abi_major": 1})"),
              HasSubstr(R"("name" must match [a-z][a-z0-9_-]{0,62})"));
  EXPECT_THAT(Refusal(R"({"version": "1", "abi_major": 1})"), HasSubstr(R"("name" must match)"));
  EXPECT_THAT(Refusal(R"({"name": "x", "abi_major": 1})"),
              HasSubstr(R"("version" (semver) is required)"));
  EXPECT_THAT(Refusal(R"({"name": "x", "version": "", "abi_major": 1})"),
              HasSubstr(R"("version" (semver) is required)"));
  for (const char* abi : {"0", "-1", "1.5", "\"1\"", "true", "null", "1e300"}) {
    EXPECT_THAT(Refusal(std::string(R"({"name": "x", "version": "1", "abi_major": )") + abi + "}"),
                HasSubstr(R"("abi_major" must be a positive integer)"))
        << abi;
  }
  EXPECT_THAT(Refusal(R"({"name": "x", "version": "1", "abi_major": 1, "requires": "a"})"),
              HasSubstr(R"("requires" must be a list of module names or {"module": NAME, )"
                        R"("versions": RANGE} objects)"));
  for (const char* entry :
       {R"(1)", R"({"module": "a"})", R"({"versions": ">=1.0.0"})",
        R"({"module": "a", "versions": 1})", R"({"module": "a", "versions": ">=1.0.0", "x": 1})"}) {
    EXPECT_THAT(Refusal(std::string(R"({"name": "x", "version": "1", "abi_major": 1, )") +
                        R"("requires": [)" + entry + "]}"),
                HasSubstr(R"("requires" must be a list of module names or {"module": NAME)"))
        << entry;
  }
  EXPECT_THAT(
      Refusal(R"({"name": "x", "version": "1", "abi_major": 1,
                  "requires": [{"module": "sfa", "versions": ">=1.x"}]})"),
      HasSubstr(
          R"("requires": 'sfa': version range '>=1.x': '1.x' is not a version MAJOR.MINOR.PATCH)"));
  EXPECT_THAT(Refusal(R"({"name": "x", "version": "1", "abi_major": 1, "services": [1]})"),
              HasSubstr(R"("services" must be a list of strings)"));
  EXPECT_THAT(Refusal(R"({"name": "x", "version": "1", "abi_major": 1, "requires": ["A"]})"),
              HasSubstr(R"("requires": 'A' is not a module name)"));
  EXPECT_THAT(Refusal(std::string(R"({"name": "x", "version": "1", "abi_major": 1, "pad": ")") +
                      std::string(64 * 1024, 'a') + "\"}"),
              HasSubstr("larger than 64 KiB"));
  auto missing = ReadManifest(dir_.Sub("nope.manifest.json"));
  EXPECT_THAT(missing.status().message(), HasSubstr("missing or unreadable"));
}

}  // namespace
}  // namespace rapport::plugin_host
