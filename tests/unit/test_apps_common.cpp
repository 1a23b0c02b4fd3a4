// What the apps share: option parsing, and the checks on input text files.
#include <doctest/doctest.h>

#include <string>

#include "apps/common.h"
#include "tests/test_util.h"

namespace ingot::apps {
namespace {

TEST_CASE("options: values, flags, positionals, --help and usage errors") {
  std::string model, prompt;
  int32_t n = 5;
  float temp = 0.8f;
  bool flag = false;
  ArgParser parser("app", "[options] FILE", "An app.");
  parser.AddString("-m,--model", &model, "model");
  parser.AddInt("-n", &n, "count");
  parser.AddFloat("--temp", &temp, "temperature");
  parser.AddFlag("--ids", &flag, "ids");
  parser.AddPositional("FILE", &prompt, "file", true);
  int exit_code = -1;
  const char* argv[] = {"app", "-m", "x.gguf", "--temp=0.5", "--ids", "p.txt", "-n", "-1"};
  REQUIRE(parser.Parse(8, const_cast<char**>(argv), &exit_code));
  CHECK(model == "x.gguf");
  CHECK(temp == doctest::Approx(0.5));
  CHECK(flag);
  CHECK(prompt == "p.txt");
  CHECK(n == -1);
  CHECK(parser.Given("--model"));
  CHECK(parser.Given("--temp"));
  CHECK(parser.Given("-n"));

  ArgParser strict("app", "FILE", "An app.");
  int32_t count = 0;
  strict.AddInt("-n", &count, "count");
  strict.AddPositional("FILE", &prompt, "file", true);
  const char* bad_number[] = {"app", "-n", "12x", "f"};
  CHECK_FALSE(strict.Parse(4, const_cast<char**>(bad_number), &exit_code));
  CHECK(exit_code == 2);
  const char* missing[] = {"app"};
  CHECK_FALSE(strict.Parse(1, const_cast<char**>(missing), &exit_code));
  CHECK(exit_code == 2);
  const char* help[] = {"app", "--help"};
  CHECK_FALSE(strict.Parse(2, const_cast<char**>(help), &exit_code));
  CHECK(exit_code == 0);
}

TEST_CASE("text files: empty, binary and invalid UTF-8 are refused with the offset") {
  CHECK(ReadTextFile(test::WriteScratchFile("ok.txt", "Grüße 🦙\n"), "text file") == "Grüße 🦙\n");
  CHECK_THROWS_WITH_AS(ReadTextFile(test::WriteScratchFile("empty.txt", ""), "text file"), doctest::Contains("text file is empty"), Error);
  CHECK_THROWS_WITH_AS(ReadTextFile(test::WriteScratchFile("nul.txt", std::string("ab\0c", 4)), "text file"),
                       doctest::Contains("looks binary (NUL byte at offset 2)"), Error);
  CHECK_THROWS_WITH_AS(ReadTextFile(test::WriteScratchFile("bad.txt", "abc\xC3("), "text file"),
                       doctest::Contains("not valid UTF-8 (byte offset 3)"), Error);
  CHECK_THROWS_WITH_AS(ReadTextFile(test::WriteScratchFile("overlong.txt", "\xE0\x80\x80"), "text file"),
                       doctest::Contains("byte offset 0"), Error);
  CHECK_THROWS_WITH_AS(ReadTextFile(test::ScratchDir(), "text file"), doctest::Contains("is a directory"), Error);
}

}  // namespace
}  // namespace ingot::apps
