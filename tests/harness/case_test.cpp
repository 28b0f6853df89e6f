// Tests of the case-file codec: exact values, every error path, round trips, hostile input.
#include "harness/case.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reference/oracle.hpp"
#include "tests/support/test_problems.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kValid = R"({"op": "layernorm", "x_dtype": "f16", "param_dtype": "f32",
  "y_dtype": "f16", "rows": 1, "n": 3, "eps": "0x1.4f8b58p-17",
  "x": ["0x1p+0", "-0x1.8p-3", "inf"], "gamma": null, "beta": null, "residual": null,
  "residual_sum": "exact"})";

// Replaces the first occurrence of `from` in the valid case.
std::string variant(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  try {
    parse_case(text, "case.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(CaseTest, ParsesTheDesignExample) {
  const Case c = parse_case(kValid, "case.json");
  const ref::NormProblem& p = c.problem;
  EXPECT_EQ(p.op, ref::Op::layernorm);
  EXPECT_EQ(p.x_format, ref::Format::f16);
  EXPECT_EQ(p.param_format, ref::Format::f32);
  EXPECT_EQ(p.rows, 1);
  EXPECT_EQ(p.n, 3);
  EXPECT_EQ(p.eps, 0x1.4f8b58p-17);
  ASSERT_EQ(p.x.size(), 3u);
  EXPECT_EQ(p.x[0], 1.0);
  EXPECT_EQ(p.x[1], -0.1875);
  EXPECT_TRUE(std::isinf(p.x[2]));
  EXPECT_TRUE(p.gamma.empty());
  EXPECT_FALSE(p.has_residual());
  EXPECT_EQ(c.kernel, "");
  EXPECT_EQ(c.expect, std::nullopt);
}

TEST(CaseTest, OptionalFieldsMayBeOmitted) {
  const Case c = parse_case(R"({"op": "rmsnorm", "x_dtype": "bf16", "param_dtype": "bf16",
      "y_dtype": "f32", "rows": 2, "n": 1, "eps": 0, "x": ["-inf", "nan"],
      "kernel": "rmsnorm.bf16", "expect": "fail", "note": "a note"})",
                            "case.json");
  EXPECT_EQ(c.problem.op, ref::Op::rmsnorm);
  EXPECT_TRUE(std::isnan(c.problem.x[1]));
  EXPECT_EQ(c.problem.residual_sum, ref::ResidualSum::exact);
  EXPECT_EQ(c.kernel, "rmsnorm.bf16");
  EXPECT_EQ(c.expect, Verdict::fail);
  EXPECT_EQ(c.note, "a note");
}

// "expect" absent, null or "" records no verdict, and a case without one is written without
// the field; a recorded verdict is written back as its name.
TEST(CaseTest, ExpectIsWrittenOnlyWhenRecorded) {
  for (const char* absent : {R"("gamma": null, "expect": null)", R"("gamma": null, "expect": "")"}) {
    const Case c = parse_case(variant(R"("gamma": null)", absent), "case.json");
    EXPECT_EQ(c.expect, std::nullopt) << absent;
    EXPECT_EQ(case_to_json(c).find("\"expect\""), std::string::npos) << absent;
  }
  const Case pass = parse_case(variant(R"("gamma": null)", R"("gamma": null, "expect": "pass")"), "case.json");
  EXPECT_EQ(pass.expect, Verdict::pass);
  EXPECT_NE(case_to_json(pass).find(",\n  \"expect\": \"pass\""), std::string::npos) << case_to_json(pass);
}

TEST(CaseTest, PlainNumbersAreRoundedToTheDtypeNearestEven) {
  const Case c = parse_case(variant(R"(["0x1p+0", "-0x1.8p-3", "inf"])", "[0.1, 1.00048828125, 65520]"),
                            "case.json");
  EXPECT_EQ(c.problem.x[0], ref::round_to_format(ref::Format::f16, 0.1));
  EXPECT_EQ(c.problem.x[1], 1.0);  // 1 + 2^-11 is a tie: to even
  EXPECT_TRUE(std::isinf(c.problem.x[2]));  // past the f16 overflow threshold
}

TEST(CaseTest, HexValuesMustBeExactInTheirDtype) {
  EXPECT_EQ(error_of(variant("\"-0x1.8p-3\"", "\"0x1.0001p+0\"")),
            "case.json: field \"x\"[1]: 0x1.0001p+0 is not representable in f16");
  // More bits than a double holds: strtod would round it silently.
  EXPECT_NE(error_of(variant("\"eps\": \"0x1.4f8b58p-17\"", "\"eps\": \"0x1.00000000000008p+0\""))
                .find("field \"eps\""),
            std::string::npos);
  EXPECT_NE(error_of(variant("\"-0x1.8p-3\"", "\"0x1p-30\"")).find("not representable in f16"),
            std::string::npos);
}

TEST(CaseTest, RejectsMalformedTokens) {
  for (const char* token : {"\"0x1p+0junk\"", "\" 0x1p+0\"", "\"1.5\"", "\"infinity\"", "\"0x\"", "\"\"",
                            "true", "[1]", "{}"}) {
    const std::string message = error_of(variant("\"-0x1.8p-3\"", token));
    EXPECT_NE(message.find("case.json: field \"x\"[1]"), std::string::npos) << token << ": " << message;
  }
}

TEST(CaseTest, ErrorsNameTheFileAndTheField) {
  struct Bad {
    std::string from, to, expected;
  };
  const Bad cases[] = {
      {R"("op": "layernorm")", R"("op": "groupnorm")", "field \"op\": unknown op"},
      {R"("op": "layernorm",)", "", "field \"op\": missing"},
      {R"("x_dtype": "f16")", R"("x_dtype": "f8")", "field \"x_dtype\": unknown dtype"},
      {R"("rows": 1)", R"("rows": 0)", "field \"rows\": 0 is out of range"},
      {R"("rows": 1)", R"("rows": 1.0)", "field \"rows\": expected an integer"},
      {R"("n": 3)", R"("n": 16777217)", "field \"n\": 16777217 is out of range"},
      {R"("n": 3)", R"("n": -3)", "field \"n\": -3 is out of range"},
      {R"("rows": 1)", R"("rows": 18446744073709551615)", "field \"rows\""},
      {R"("rows": 1, "n": 3)", R"("rows": 65536, "n": 2048)", "exceeds 67108864"},
      {R"(, "inf"])", R"(])", "field \"x\": expected 3 values (rows*n), got 2"},
      {R"("gamma": null)", R"("gamma": ["0x1p+0"])", "field \"gamma\": expected 3 values (n), got 1"},
      {R"("residual": null)", R"("residual": 5)", "field \"residual\": expected an array or null"},
      {R"("residual_sum": "exact")", R"("residual_sum": "fast")", "field \"residual_sum\""},
      {R"("eps": "0x1.4f8b58p-17")", R"("eps": -1e-5)", "field \"eps\""},
      {R"("eps": "0x1.4f8b58p-17")", R"("eps": "nan")", "field \"eps\""},
      {R"("eps": "0x1.4f8b58p-17")", R"("eps": "inf")", "field \"eps\""},
      {R"("eps": "0x1.4f8b58p-17")", R"("eps": null)", "field \"eps\""},
      {R"("gamma": null)", R"("gama": null)", "field \"gama\": unknown key"},
      {R"("gamma": null)", R"("gamma": null, "expect": "maybe")", "field \"expect\""},
      {R"("gamma": null)", R"("gamma": null, "expect": "skipped")",
       "field \"expect\": \"skipped\" is neither \"pass\" nor \"fail\""},
  };
  for (const Bad& bad : cases) {
    const std::string message = error_of(variant(bad.from, bad.to));
    EXPECT_EQ(message.rfind("case.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << bad.to << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(CaseTest, BadJsonGivesThePosition) {
  const std::string message = error_of(R"({"op": "layernorm",, })");
  EXPECT_NE(message.find("case.json: bad JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 1, column 20"), std::string::npos) << message;
  EXPECT_NE(error_of("[1, 2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(error_of(std::string(100000, '[')).find("bad JSON"), std::string::npos);
}

TEST(CaseTest, HexFloatIsC99) {
  EXPECT_EQ(hex_float(1.0), "0x1p+0");
  EXPECT_EQ(hex_float(-0.1875), "-0x1.8p-3");
  EXPECT_EQ(hex_float(-0.0), "-0x0p+0");
  EXPECT_EQ(hex_float(0x1p-1074), "0x0.0000000000001p-1022");
  EXPECT_EQ(hex_float(HUGE_VAL), "inf");
  EXPECT_EQ(hex_float(-HUGE_VAL), "-inf");
  EXPECT_EQ(hex_float(std::nan("")), "nan");
}

// Every value of every format survives writing and reading, bit for bit.
TEST(CaseTest, RoundTripsBitForBit) {
  testing::Lcg rng(7);
  for (auto format : {ref::Format::f16, ref::Format::bf16, ref::Format::f32, ref::Format::f64}) {
    Case c;
    ref::NormProblem& p = c.problem;
    p.x_format = p.param_format = p.y_format = format;
    p.rows = 4;
    p.n = 20;
    p.eps = 0x1.4f8b58p-17;
    const int bits = ref::traits(format).bits;
    const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    const auto random_value = [&] { return ref::from_bits(format, rng.next() & mask); };
    for (int i = 0; i < 80; ++i) p.x.push_back(random_value());
    p.x[0] = -0.0;
    p.x[1] = ref::from_bits(format, 1);  // smallest subnormal
    for (int i = 0; i < 20; ++i) p.gamma.push_back(random_value());
    for (int i = 0; i < 80; ++i) p.residual.push_back(random_value());
    p.residual_sum = ref::ResidualSum::rounded;
    c.kernel = "layernorm.test";
    c.expect = Verdict::fail;
    c.note = "quote \" and newline \n survive";
    const Case back = parse_case(case_to_json(c), "roundtrip.json");
    ASSERT_EQ(back.problem.x.size(), p.x.size());
    for (std::size_t i = 0; i < p.x.size(); ++i) {
      EXPECT_EQ(ref::to_bits(format, back.problem.x[i]), ref::to_bits(format, p.x[i])) << i;
      EXPECT_EQ(ref::to_bits(format, back.problem.residual[i]), ref::to_bits(format, p.residual[i])) << i;
    }
    for (std::size_t i = 0; i < p.gamma.size(); ++i) {
      EXPECT_EQ(ref::to_bits(format, back.problem.gamma[i]), ref::to_bits(format, p.gamma[i]));
    }
    EXPECT_TRUE(back.problem.beta.empty());
    EXPECT_EQ(back.problem.eps, p.eps);
    EXPECT_EQ(back.problem.residual_sum, ref::ResidualSum::rounded);
    EXPECT_EQ(back.kernel, c.kernel);
    EXPECT_EQ(back.expect, c.expect);
    EXPECT_EQ(back.note, c.note);
  }
}

TEST(CaseTest, FilesRoundTripAndMissingFilesAreNamed) {
  const auto path = std::filesystem::temp_directory_path() / "normcheck_case_test.json";
  const Case c = parse_case(kValid, "case.json");
  write_case_file(path, c);
  const Case back = read_case_file(path);
  EXPECT_EQ(case_to_json(back), case_to_json(c));
  std::filesystem::remove(path);
  try {
    read_case_file(path);
    FAIL() << "no error for a missing file";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos);
  }
}

TEST(CaseTest, DuplicateKeysAreRejectedByName) {
  const std::string twice_eps = variant("\"rows\": 1", "\"eps\": \"0x1p-3\", \"rows\": 1");
  const std::string message = error_of(twice_eps);
  EXPECT_NE(message.find("case.json"), std::string::npos) << message;
  EXPECT_NE(message.find("field \"eps\": duplicate key"), std::string::npos) << message;
  // The same key in different objects is not a duplicate (only the top level is a case,
  // so a nested object fails later as a wrong type, not as a duplicate).
  EXPECT_EQ(error_of(variant("\"gamma\": null", "\"gamma\": {\"op\": 1}")).find("duplicate"), std::string::npos);
}

TEST(CaseTest, DirectoryIsNamedAsSuch) {
  const auto dir = std::filesystem::temp_directory_path() / "normcheck_case_test_dir.json";
  std::filesystem::create_directories(dir);
  try {
    read_case_file(dir);
    FAIL() << "no error for a directory";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(dir.string() + ": is a directory"), std::string::npos) << error.what();
  }
}

// A file is bounded by what its rows and n can need: 1 GB of trailing spaces after a
// three-value case is refused by its size, not parsed.
TEST(CaseTest, TextLongerThanTheShapeCanNeedIsRefused) {
  const std::uint64_t limit = case_file_size_limit(1, 3);
  EXPECT_EQ(limit, (std::uint64_t{1} << 20) + 64 * (2 * 3 + 2 * 3));
  const std::string padded = std::string(kValid) + std::string(limit, ' ');
  const std::string message = error_of(padded);
  EXPECT_NE(message.find("more than a case of rows = 1 and n = 3 can need"), std::string::npos) << message;
  // Up to the limit, spacing is the writer's business.
  EXPECT_EQ(error_of(std::string(kValid) + std::string(limit - std::string(kValid).size(), ' ')), "(no error)");
}

// An array longer than declared stops the parse at the declared count: what is stored
// never exceeds what rows and n ask for.
TEST(CaseTest, ArraysLongerThanDeclaredStopAtTheDeclaredCount) {
  std::string many = "[";
  for (int i = 0; i < 10000; ++i) many += i == 0 ? "0" : ", 0";
  many += "]";
  EXPECT_NE(error_of(variant(R"(["0x1p+0", "-0x1.8p-3", "inf"])", many)).find("field \"x\": more than 3 values (rows*n)"),
            std::string::npos);
  EXPECT_NE(error_of(variant(R"("gamma": null)", "\"gamma\": " + many)).find("field \"gamma\": more than 3 values (n)"),
            std::string::npos);
  // Nested values are never kept, only judged by their type (the length is right here).
  EXPECT_NE(error_of(variant(R"("residual": null)", R"("residual": [[1, 2], {"a": [3]}, 4])"))
                .find("field \"residual\"[0]: expected a hex float string or a number, got array"),
            std::string::npos);
}

fs::path scratch_file(const std::string& name) {
  return fs::temp_directory_path() / ("normcheck_case_test_" + std::to_string(::getpid()) + "_" + name);
}

// Files over 1 MiB are read in two steps: the first MiB must declare rows and n, which
// bound the rest before it is read.
TEST(CaseTest, LargeFilesAreBoundedByTheirDeclarationBeforeTheRestIsRead) {
  Case big;
  big.problem.op = ref::Op::layernorm;
  big.problem.x_format = big.problem.param_format = big.problem.y_format = ref::Format::f32;
  big.problem.rows = 4;
  big.problem.n = 1 << 16;
  for (std::int64_t i = 0; i < big.problem.rows * big.problem.n; ++i)
    big.problem.x.push_back(std::ldexp(1.0 + static_cast<double>(i % 1000) / 1024.0, static_cast<int>(i % 40) - 20));
  const fs::path path = scratch_file("big.json");
  write_case_file(path, big);
  ASSERT_GT(fs::file_size(path), std::uintmax_t{1} << 20);
  EXPECT_EQ(read_case_file(path).problem.x, big.problem.x);

  // The same values, the arrays first: nothing in the first MiB says how long it may be.
  std::string text = case_to_json(big);
  const auto rows_at = text.find("  \"rows\"");
  const auto eps_at = text.find("  \"eps\"");
  const std::string shape = text.substr(rows_at, eps_at - rows_at);
  text.erase(rows_at, eps_at - rows_at);
  text.insert(text.rfind('}'), ",\n" + shape.substr(0, shape.rfind(',')) + "\n");
  std::ofstream(path) << text;
  try {
    read_case_file(path);
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("must declare them before its arrays"), std::string::npos) << error.what();
  }

  // Out-of-range counts in a large file are refused with the parser's message.
  std::ofstream(path) << "{\"rows\": 70000, \"n\": 3, \"x\": [" << std::string(2 << 20, ' ') << "]}";
  try {
    read_case_file(path);
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("field \"rows\": 70000 is out of range"), std::string::npos) << error.what();
  }
  fs::remove(path);
}

// What a rejection of fuzz.json may say: one line, the file, then the field it names (a key
// of the format, or the unknown or duplicate key itself) or what is wrong with the document.
void expect_a_rejection_naming_the_field(const std::string& message, const std::string& text) {
  static const std::vector<std::string> known_keys = {
      "op",  "x_dtype",  "param_dtype", "y_dtype",      "rows",   "n",      "eps", "x",
      "gamma", "beta", "residual",     "residual_sum", "kernel", "expect", "note"};
  const std::string prefix = "fuzz.json: ";
  ASSERT_EQ(message.rfind(prefix, 0), 0u) << message << "\nfrom: " << text;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message << "\nfrom: " << text;
  const std::string rest = message.substr(prefix.size());
  if (rest.rfind("field \"", 0) == 0) {
    const std::size_t close = rest.find('"', 7);
    ASSERT_NE(close, std::string::npos) << message;
    const std::string field = rest.substr(7, close - 7);
    const bool known = std::find(known_keys.begin(), known_keys.end(), field) != known_keys.end();
    const bool names_its_key = rest.ends_with(": unknown key (typo?)") || rest.ends_with(": duplicate key");
    EXPECT_TRUE(known || names_its_key) << message << "\nfrom: " << text;
    EXPECT_GT(rest.size(), close + 3) << "no reason after the field: " << message;
    return;
  }
  const bool about_the_document = rest.rfind("bad JSON: ", 0) == 0 || rest.rfind("expected a JSON object, got ", 0) == 0;
  EXPECT_TRUE(about_the_document) << "names no field: " << message << "\nfrom: " << text;
}

// Mutated and truncated documents either parse to a case the oracle accepts, which writes
// and reads back unchanged, or throw InputError naming the field: never anything else.
TEST(CaseTest, HostileInputNeverCrashes) {
  testing::Lcg rng(11);
  const std::string base = kValid;
  const std::string alphabet = "{}[]\",:0123456789abcdefxp+-.eEnul \\";
  int parsed = 0;
  int rejected = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng.next() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng.next() % text.size();
      switch (rng.next() % 3) {
        case 0:
          text[at] = alphabet[rng.next() % alphabet.size()];
          break;
        case 1:
          text.erase(at, 1 + rng.next() % 8);
          break;
        default:
          text.resize(at);
      }
    }
    try {
      const Case c = parse_case(text, "fuzz.json");
      ++parsed;
      EXPECT_NO_THROW(ref::compute_oracle(c.problem)) << text;  // shapes, dtypes and eps valid
      const std::string written = case_to_json(c);
      EXPECT_EQ(case_to_json(parse_case(written, "written.json")), written) << text;
    } catch (const InputError& error) {
      ++rejected;
      expect_a_rejection_naming_the_field(error.what(), text);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "not an InputError: " << error.what() << "\nfrom: " << text;
    }
  }
  std::printf("%d mutated documents parsed, %d rejected\n", parsed, rejected);
  EXPECT_GT(parsed, 0);  // both outcomes were exercised
  EXPECT_GT(rejected, 0);
}

}  // namespace
// A backward case: the forward keys without beta and residual, "direction": "backward" and
// dy, rows*n values of y_dtype (docs/case-files.md, "Backward cases").
constexpr const char* kBackward = R"({"op": "rmsnorm", "x_dtype": "bf16", "param_dtype": "f32",
  "y_dtype": "f16", "rows": 2, "n": 2, "eps": "0x1p-20",
  "x": ["0x1p+0", "-0x1.8p-3", "0x1p+2", "0x0p+0"], "gamma": ["0x1p-1", "0x1.4p+0"], "beta": null,
  "residual": null, "direction": "backward", "dy": ["0x1p+0", "-0x1p-24", "inf", "0x1.ffcp+15"]})";

std::string backward_variant(const std::string& from, const std::string& to) {
  std::string text = kBackward;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(CaseTest, BackwardCasesCarryDyAndRoundTripBitForBit) {
  const Case c = parse_case(kBackward, "case.json");
  EXPECT_EQ(c.direction, Direction::backward);
  ASSERT_EQ(c.dy.size(), 4u);
  EXPECT_EQ(c.dy[1], -0x1p-24);  // the smallest f16 subnormal: dy is judged in y_dtype
  EXPECT_TRUE(std::isinf(c.dy[2]));
  const ref::BackwardProblem b = backward_problem(c);
  EXPECT_EQ(b.op, ref::Op::rmsnorm);
  EXPECT_EQ(b.x_format, ref::Format::bf16);
  EXPECT_EQ(b.dy_format, ref::Format::f16);
  EXPECT_EQ(b.param_format, ref::Format::f32);
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.n, 2);
  EXPECT_EQ(b.eps, 0x1p-20);
  EXPECT_EQ(b.x, c.problem.x);
  EXPECT_EQ(b.gamma, c.problem.gamma);
  const std::string json = case_to_json(c);
  EXPECT_NE(json.find("\"direction\": \"backward\""), std::string::npos) << json;
  const Case back = parse_case(json, "roundtrip.json");
  EXPECT_EQ(back.direction, Direction::backward);
  ASSERT_EQ(back.dy.size(), c.dy.size());
  for (std::size_t i = 0; i < c.dy.size(); ++i) EXPECT_EQ(ref::to_bits(ref::Format::f16, back.dy[i]), ref::to_bits(ref::Format::f16, c.dy[i]));
  EXPECT_EQ(back.problem.x, c.problem.x);
  // A forward case is written as before: no direction, no dy.
  const std::string forward = case_to_json(parse_case(kValid, "case.json"));
  EXPECT_EQ(forward.find("direction"), std::string::npos) << forward;
  EXPECT_EQ(forward.find("\"dy\""), std::string::npos) << forward;
  EXPECT_EQ(parse_case(variant("\"residual_sum\": \"exact\"", "\"residual_sum\": \"exact\", \"direction\": \"forward\""),
                       "case.json").direction,
            Direction::forward);
}

TEST(CaseTest, BackwardCaseErrorsNameTheFileAndTheField) {
  struct Bad {
    std::string from, to, expected;
  };
  const Bad cases[] = {
      {R"("direction": "backward")", R"("direction": "sideways")", "field \"direction\": \"sideways\" is neither"},
      {R"("direction": "backward")", R"("direction": 1)", "field \"direction\": expected a string"},
      {R"(, "dy": ["0x1p+0", "-0x1p-24", "inf", "0x1.ffcp+15"])", "", "field \"dy\": missing"},
      {R"("0x1.ffcp+15"])", R"("0x1.ffcp+15", "0x0p+0"])", "field \"dy\": more than 4 values (rows*n)"},
      {R"(, "0x1.ffcp+15"])", R"(])", "field \"dy\": expected 4 values (rows*n), got 3"},
      {R"("0x1.ffcp+15")", R"("0x1p+16")", "field \"dy\"[3]: 0x1p+16 is not representable in f16"},
      {R"("-0x1p-24")", R"("-0x1p-25")", "field \"dy\"[1]"},
      {R"("beta": null)", R"("beta": ["0x0p+0", "0x0p+0"])", "field \"beta\": a backward case has no beta"},
      {R"("residual": null)", R"("residual": ["0x0p+0", "0x0p+0", "0x0p+0", "0x0p+0"])",
       "field \"residual\": a backward case has no residual"},
      {R"("direction": "backward", )", "", "field \"dy\": only a backward case"},
  };
  for (const Bad& bad : cases) {
    const std::string message = error_of(backward_variant(bad.from, bad.to));
    EXPECT_EQ(message.rfind("case.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << bad.to << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace normcheck::harness
