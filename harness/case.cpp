// Case-file codec: strict, exact JSON <-> Case (the format: docs/case-files.md).
#include "harness/case.hpp"

#include <cerrno>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <array>
#include <charconv>
#include <iterator>
#include <new>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/atomic_file.hpp"
#include "harness/text_file.hpp"

namespace normcheck::harness {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kMaxN = std::int64_t{1} << 24;
constexpr std::int64_t kMaxRows = std::int64_t{1} << 16;
constexpr std::int64_t kMaxValues = std::int64_t{1} << 26;
// A case file's size allowance (case_file_size_limit): fixed, then per value.
constexpr std::uint64_t kFixedBytes = std::uint64_t{1} << 20;
constexpr std::uint64_t kBytesPerValue = 64;
// What is read before the rest of a file is bounded by its declared rows and n.
constexpr std::uint64_t kHeadBytes = kFixedBytes;
constexpr std::uint64_t kMaxCaseFileBytes =
    kFixedBytes + kBytesPerValue * (2 * static_cast<std::uint64_t>(kMaxValues) + 2 * static_cast<std::uint64_t>(kMaxN));
// Deeper nesting is never a case file; bounding it keeps hostile input cheap.
constexpr int kMaxJsonDepth = 16;

constexpr std::array<std::string_view, 17> kKnownKeys = {
    "op",   "x_dtype", "param_dtype", "y_dtype",      "rows",      "n",  "eps",    "x",   "gamma",
    "beta", "residual", "residual_sum", "direction", "dy",     "kernel", "expect", "note"};

// Everything that can go wrong names the file and the field, on one line.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(std::string_view field, std::string_view what) const {
    throw InputError(fmt::format("{}: field \"{}\": {}", source_, field, what));
  }
  [[noreturn]] void fail_at(std::string_view field, std::size_t index, std::string_view what) const {
    throw InputError(fmt::format("{}: field \"{}\"[{}]: {}", source_, field, index, what));
  }
  [[noreturn]] void fail_file(std::string_view what) const {
    throw InputError(fmt::format("{}: {}", source_, what));
  }

 private:
  std::string_view source_;
};

// The value arrays, by key. They are not kept in the JSON DOM (some 64 bytes per
// element: a 2^26-value case took 4.2 GB) but stored as they are parsed, as the value and
// what kind of element it was; the dtypes that judge them may come later in the file.
constexpr std::array<std::string_view, 5> kValueKeys = {"x", "gamma", "beta", "residual", "dy"};

enum class Item : std::uint8_t { exact, number, inexact_hex, not_a_token, wrong_type };

struct ValueArray {
  std::vector<double> values;
  std::vector<Item> items;
  // The token (or JSON type name) of the first element that is not a value: the one an
  // error reports, since elements are judged in order and the first bad one stops it.
  std::string first_bad;
};

using ValueArrays = std::array<ValueArray, kValueKeys.size()>;

int value_key_index(std::string_view key) {
  for (std::size_t i = 0; i < kValueKeys.size(); ++i)
    if (kValueKeys[i] == key) return static_cast<int>(i);
  return -1;
}

// rows and n as the top-level object declares them, found by a scan that skips every
// other value (strings, arrays, objects) without parsing it. Only plain decimal integers
// count; anything else is left to the parser's messages.
struct DeclaredShape {
  std::optional<std::uint64_t> rows, n;
};

DeclaredShape scan_declared_shape(std::string_view text) {
  DeclaredShape shape;
  std::size_t i = 0;
  const std::size_t end = text.size();
  const auto is_space = [&](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  const auto skip_space = [&] {
    while (i < end && is_space(text[i])) ++i;
  };
  const auto skip_string = [&] {  // at the opening quote
    for (++i; i < end; ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        ++i;
        return true;
      }
    }
    return false;
  };
  skip_space();
  if (i >= end || text[i] != '{') return shape;
  ++i;
  for (;;) {
    skip_space();
    if (i >= end || text[i] != '"') return shape;
    const std::size_t key_start = i + 1;
    if (!skip_string()) return shape;
    const std::string_view key = text.substr(key_start, i - 1 - key_start);
    skip_space();
    if (i >= end || text[i] != ':') return shape;
    ++i;
    skip_space();
    if (i >= end) return shape;
    if (key == "rows" || key == "n") {
      std::uint64_t value = 0;
      const auto [stop, error] = std::from_chars(text.data() + i, text.data() + end, value);
      const std::size_t after = static_cast<std::size_t>(stop - text.data());
      auto& slot = key == "rows" ? shape.rows : shape.n;
      if (error == std::errc() && after < end && (is_space(text[after]) || text[after] == ',' || text[after] == '}') &&
          !slot) {
        slot = value;
      }
      if (shape.rows && shape.n) return shape;
    }
    if (text[i] == '"') {
      if (!skip_string()) return shape;
    } else if (text[i] == '[' || text[i] == '{') {
      int depth = 0;
      while (i < end) {
        const char c = text[i];
        if (c == '"') {
          if (!skip_string()) return shape;
          continue;
        }
        ++i;
        if (c == '[' || c == '{') ++depth;
        if ((c == ']' || c == '}') && --depth == 0) break;
      }
      if (depth != 0) return shape;
    } else {
      while (i < end && !is_space(text[i]) && text[i] != ',' && text[i] != '}') ++i;
    }
    skip_space();
    if (i >= end || text[i] != ',') return shape;
    ++i;
  }
}

// rows and n within the ranges read_count enforces, their product within kMaxValues.
bool shape_in_range(std::uint64_t rows, std::uint64_t n) {
  return rows >= 1 && rows <= static_cast<std::uint64_t>(kMaxRows) && n >= 1 &&
         n <= static_cast<std::uint64_t>(kMaxN) && rows * n <= static_cast<std::uint64_t>(kMaxValues);
}

// JSON string contents are untrusted: show them escaped and bounded.
std::string shown_string(const std::string& text) {
  constexpr std::size_t kShown = 40;
  std::string shown = text.size() > kShown ? text.substr(0, kShown) + "..." : text;
  return Json(shown).dump(-1, ' ', true, Json::error_handler_t::replace);
}

// Exact parse of a C99 hex float: glibc's strtod honours the rounding mode, so a
// token is exactly a double iff rounding down and rounding up give the same value.
std::optional<double> parse_exact_hex(const std::string& token) {
  std::size_t digits = 0;
  if (!token.empty() && (token[0] == '+' || token[0] == '-')) digits = 1;
  // strtod also takes decimals, "infinity", leading blanks: only hex is exact here.
  if (token.size() < digits + 3 || token[digits] != '0' ||
      (token[digits + 1] != 'x' && token[digits + 1] != 'X')) {
    return std::nullopt;
  }
  const int saved_mode = std::fegetround();
  double bounds[2] = {0, 0};
  const int modes[2] = {FE_DOWNWARD, FE_UPWARD};
  for (int k = 0; k < 2; ++k) {
    std::fesetround(modes[k]);
    char* end = nullptr;
    bounds[k] = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size()) {
      std::fesetround(saved_mode);
      return std::nullopt;
    }
  }
  std::fesetround(saved_mode);
  if (bounds[0] != bounds[1]) return std::nullopt;
  return bounds[0];
}

enum class Token { value, not_a_number_token, inexact_hex };

// A value token: hex float, inf / -inf / nan (sign optional on inf).
Token parse_token(const std::string& token, double& value) {
  if (token == "inf" || token == "+inf") {
    value = HUGE_VAL;
    return Token::value;
  }
  if (token == "-inf") {
    value = -HUGE_VAL;
    return Token::value;
  }
  if (token == "nan") {
    value = std::nan("");
    return Token::value;
  }
  if (auto exact = parse_exact_hex(token)) {
    value = *exact;
    return Token::value;
  }
  char* end = nullptr;
  const bool is_hex_shape = token.find_first_of("xX") != std::string::npos;
  std::strtod(token.c_str(), &end);
  if (is_hex_shape && end == token.c_str() + token.size()) return Token::inexact_hex;
  return Token::not_a_number_token;
}

// The array stored for field while parsing, judged in the given format: exact hex or a
// special token must be representable, a plain JSON number is rounded to the format (RNE).
std::vector<double> read_values(const Reader& reader, const Json& doc, ValueArrays& arrays, std::string_view field,
                                std::int64_t expected_count, std::string_view count_name, ref::Format format,
                                bool nullable) {
  const auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    if (nullable) return {};
    reader.fail(field, "missing");
  }
  if (!it->is_array()) {
    reader.fail(field, fmt::format("expected an array{}, got {}", nullable ? " or null" : "",
                                   it->type_name()));
  }
  ValueArray& array = arrays[static_cast<std::size_t>(value_key_index(field))];
  if (static_cast<std::int64_t>(array.items.size()) != expected_count) {
    reader.fail(field, fmt::format("expected {} values ({}), got {}", expected_count, count_name,
                                   array.items.size()));
  }
  std::vector<double> values = std::move(array.values);
  for (std::size_t i = 0; i < values.size(); ++i) {
    switch (array.items[i]) {
      case Item::exact:
        if (!ref::is_representable(format, values[i])) {
          reader.fail_at(field, i, fmt::format("{} is not representable in {}", hex_float(values[i]),
                                               ref::format_name(format)));
        }
        break;
      case Item::number:
        values[i] = ref::round_to_format(format, values[i]);
        break;
      case Item::inexact_hex:
        reader.fail_at(field, i, fmt::format("{} is not representable in {}", array.first_bad, ref::format_name(format)));
      case Item::not_a_token:
        reader.fail_at(field, i,
                       fmt::format("{} is not a hex float, inf, -inf or nan", shown_string(array.first_bad)));
      case Item::wrong_type:
        reader.fail_at(field, i, fmt::format("expected a hex float string or a number, got {}", array.first_bad));
    }
  }
  return values;
}

const Json& required(const Reader& reader, const Json& doc, std::string_view field) {
  const auto it = doc.find(field);
  if (it == doc.end()) reader.fail(field, "missing");
  return *it;
}

std::string read_string(const Reader& reader, const Json& doc, std::string_view field) {
  const Json& item = required(reader, doc, field);
  if (!item.is_string()) reader.fail(field, fmt::format("expected a string, got {}", item.type_name()));
  return item.get<std::string>();
}

std::string optional_string(const Reader& reader, const Json& doc, std::string_view field) {
  const auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return "";
  if (!it->is_string()) reader.fail(field, fmt::format("expected a string, got {}", it->type_name()));
  return it->get<std::string>();
}

ref::Format read_format(const Reader& reader, const Json& doc, std::string_view field) {
  const std::string name = read_string(reader, doc, field);
  const auto format = ref::parse_format(name);
  if (!format) reader.fail(field, fmt::format("unknown dtype {} (f16, bf16, f32, f64)", shown_string(name)));
  return *format;
}

std::int64_t read_count(const Reader& reader, const Json& doc, std::string_view field,
                        std::int64_t max) {
  const Json& item = required(reader, doc, field);
  if (!item.is_number_integer()) {
    reader.fail(field, fmt::format("expected an integer, got {}", item.type_name()));
  }
  // Unsigned JSON integers may exceed int64; compare before converting.
  const bool in_range = item.is_number_unsigned()
                            ? item.get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                                  item.get<std::uint64_t>() >= 1
                            : item.get<std::int64_t>() >= 1 && item.get<std::int64_t>() <= max;
  if (!in_range) reader.fail(field, fmt::format("{} is out of range [1, {}]", item.dump(), max));
  return item.get<std::int64_t>();
}

double read_eps(const Reader& reader, const Json& doc) {
  const Json& item = required(reader, doc, "eps");
  double eps = 0;
  if (item.is_string()) {
    const auto& token = item.get_ref<const std::string&>();
    switch (parse_token(token, eps)) {
      case Token::value:
        break;
      case Token::inexact_hex:
        reader.fail("eps", fmt::format("{} is not exactly a double", token));
      case Token::not_a_number_token:
        reader.fail("eps", fmt::format("{} is not a hex float or a number", shown_string(token)));
    }
  } else if (item.is_number()) {
    eps = item.get<double>();
  } else {
    reader.fail("eps", fmt::format("expected a hex float string or a number, got {}", item.type_name()));
  }
  if (!std::isfinite(eps) || eps < 0) {
    reader.fail("eps", fmt::format("{} must be finite and >= 0", hex_float(eps)));
  }
  return eps + 0.0;  // -0 becomes +0
}

// "direction" (absent: forward) and, for a backward case, its dy: rows*n values of y_dtype,
// the gradient of the forward output (y_dtype is dy's dtype, as in the ABI). A backward case
// has neither beta (no gradient depends on it) nor a residual (the backward ABI is not fused).
void read_direction(const Reader& reader, const Json& doc, ValueArrays& arrays, Case& result) {
  const std::string direction = optional_string(reader, doc, "direction");
  if (direction == "" || direction == "forward") {
    result.direction = Direction::forward;
  } else if (direction == "backward") {
    result.direction = Direction::backward;
  } else {
    reader.fail("direction", fmt::format("{} is neither \"forward\" nor \"backward\"", shown_string(direction)));
  }
  const ref::NormProblem& p = result.problem;
  result.dy = read_values(reader, doc, arrays, "dy", p.rows * p.n, "rows*n", p.y_format, true);
  if (result.direction == Direction::forward) {
    if (!result.dy.empty()) reader.fail("dy", "only a backward case (\"direction\": \"backward\") has dy");
    return;
  }
  if (result.dy.empty()) reader.fail("dy", "missing: a backward case needs dy, rows*n values of y_dtype");
  if (!p.beta.empty()) reader.fail("beta", "a backward case has no beta (no gradient depends on it): use null");
  if (p.has_residual()) reader.fail("residual", "a backward case has no residual (the backward pass is not fused): use null");
}

Case parse_document(const Json& doc, ValueArrays& arrays, const Reader& reader) {
  if (!doc.is_object()) reader.fail_file(fmt::format("expected a JSON object, got {}", doc.type_name()));
  for (const auto& item : doc.items()) {
    bool known = false;
    for (auto key : kKnownKeys) known = known || item.key() == key;
    if (!known) reader.fail(item.key(), "unknown key (typo?)");
  }

  Case result;
  ref::NormProblem& p = result.problem;
  const std::string op = read_string(reader, doc, "op");
  if (const auto parsed = ref::parse_op(op)) {
    p.op = *parsed;
  } else {
    reader.fail("op", fmt::format("unknown op {} (layernorm, rmsnorm)", shown_string(op)));
  }
  p.x_format = read_format(reader, doc, "x_dtype");
  p.param_format = read_format(reader, doc, "param_dtype");
  p.y_format = read_format(reader, doc, "y_dtype");
  p.rows = read_count(reader, doc, "rows", kMaxRows);
  p.n = read_count(reader, doc, "n", kMaxN);
  if (p.rows * p.n > kMaxValues) {
    reader.fail("n", fmt::format("rows * n = {} exceeds {}", p.rows * p.n, kMaxValues));
  }
  p.eps = read_eps(reader, doc);
  p.x = read_values(reader, doc, arrays, "x", p.rows * p.n, "rows*n", p.x_format, false);
  p.gamma = read_values(reader, doc, arrays, "gamma", p.n, "n", p.param_format, true);
  p.beta = read_values(reader, doc, arrays, "beta", p.n, "n", p.param_format, true);
  p.residual = read_values(reader, doc, arrays, "residual", p.rows * p.n, "rows*n", p.x_format, true);

  const std::string residual_sum = optional_string(reader, doc, "residual_sum");
  if (residual_sum == "" || residual_sum == "exact") {
    p.residual_sum = ref::ResidualSum::exact;
  } else if (residual_sum == "rounded") {
    p.residual_sum = ref::ResidualSum::rounded;
  } else {
    reader.fail("residual_sum", fmt::format("{} is neither \"exact\" nor \"rounded\"", shown_string(residual_sum)));
  }

  read_direction(reader, doc, arrays, result);

  result.kernel = optional_string(reader, doc, "kernel");
  // Absent, null and "" record no verdict; skipped is observed, never expected.
  if (const std::string expect = optional_string(reader, doc, "expect"); !expect.empty()) {
    result.expect = parse_verdict(expect);
    if (!result.expect || *result.expect == Verdict::skipped)
      reader.fail("expect", fmt::format("{} is neither \"pass\" nor \"fail\"", shown_string(expect)));
  }
  result.note = optional_string(reader, doc, "note");
  return result;
}

// Arrays of values, a few per line, so that long rows stay readable and diffable.
void append_values(std::string& out, const std::vector<double>& values) {
  constexpr std::size_t kPerLine = 8;
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if (values.size() > kPerLine && i % kPerLine == 0) {
      out += "\n    ";
    } else if (i > 0) {
      out += ' ';
    }
    out += '"' + hex_float(values[i]) + '"';
  }
  if (values.size() > kPerLine) out += "\n  ";
  out += ']';
}

}  // namespace

std::uint64_t case_file_size_limit(std::int64_t rows, std::int64_t n) {
  const auto r = static_cast<std::uint64_t>(std::max<std::int64_t>(rows, 0));
  const auto c = static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0));
  return kFixedBytes + kBytesPerValue * (2 * r * c + 2 * c);
}

Case parse_case(std::string_view json_text, std::string_view source_name) {
  const Reader reader(source_name);
  // What the file declares bounds the file and every array before any is stored.
  const DeclaredShape shape = scan_declared_shape(json_text);
  std::array<std::uint64_t, kValueKeys.size()> most;
  most.fill(static_cast<std::uint64_t>(kMaxValues));
  std::array<std::string, kValueKeys.size()> most_name;
  most_name.fill("the most a case holds");
  if (shape.rows && shape.n && shape_in_range(*shape.rows, *shape.n)) {
    const auto rows = static_cast<std::int64_t>(*shape.rows), n = static_cast<std::int64_t>(*shape.n);
    const std::uint64_t limit = case_file_size_limit(rows, n);
    if (json_text.size() > limit) {
      reader.fail_file(fmt::format("{} bytes, more than a case of rows = {} and n = {} can need ({} bytes)",
                                   json_text.size(), rows, n, limit));
    }
    most = {*shape.rows * *shape.n, *shape.n, *shape.n, *shape.rows * *shape.n, *shape.rows * *shape.n};
    most_name = {"rows*n", "n", "n", "rows*n", "rows*n"};
  }
  ValueArrays arrays;
  Json doc;
  try {
    // The callback bounds nesting (recursion depth in the DOM code) for hostile input,
    // and rejects a key given twice in the case object (the DOM would keep the last one
    // silently, so an edited file could mean something other than it reads). Elements
    // of the top-level value arrays go to `arrays`, at most as many as declared; every
    // other value below the top level is dropped once read (only its type matters: a
    // case has nothing nested), so memory follows the declaration, not the file.
    std::set<std::string> top_keys;
    std::string top_key;
    int active = -1;  // the value array being read, or -1
    const auto add_item = [&](const Json& parsed) {
      const auto index = static_cast<std::size_t>(active);
      ValueArray& array = arrays[index];
      if (array.items.size() >= most[index]) {
        reader.fail(kValueKeys[index], fmt::format("more than {} values ({})", most[index], most_name[index]));
      }
      double value = 0;
      Item item = Item::wrong_type;
      if (parsed.is_string()) {
        switch (parse_token(parsed.get_ref<const std::string&>(), value)) {
          case Token::value:
            item = Item::exact;
            break;
          case Token::inexact_hex:
            item = Item::inexact_hex;
            break;
          case Token::not_a_number_token:
            item = Item::not_a_token;
            break;
        }
      } else if (parsed.is_number()) {
        item = Item::number;
        value = parsed.get<double>();
      }
      if (item != Item::exact && item != Item::number && array.first_bad.empty())
        array.first_bad = parsed.is_string() ? parsed.get<std::string>() : std::string(parsed.type_name());
      array.values.push_back(value);
      array.items.push_back(item);
    };
    using Event = Json::parse_event_t;
    const Json::parser_callback_t check_structure = [&](int depth, Event event, Json& parsed) {
      if (depth > kMaxJsonDepth) throw std::length_error("nesting too deep");
      const bool in_values = depth == 2 && active >= 0;  // an element of a value array
      switch (event) {
        case Event::object_start:
          return true;
        case Event::key:
          if (depth != 1) return false;  // nothing nested is ever kept: only its type matters
          top_key = parsed.get_ref<const std::string&>();
          if (!top_keys.insert(top_key).second) reader.fail(top_key, "duplicate key");
          return true;
        case Event::array_start:
          if (depth == 1) active = value_key_index(top_key);
          return true;
        case Event::array_end:
          if (depth == 1) active = -1;
          [[fallthrough]];
        case Event::object_end:
          if (in_values) add_item(event == Event::array_end ? Json::array() : Json::object());
          return depth <= 1;
        case Event::value:
          if (in_values) add_item(parsed);
          return depth <= 1;
      }
      return true;
    };
    doc = Json::parse(json_text.begin(), json_text.end(), check_structure);
  } catch (const Json::exception& error) {
    reader.fail_file(fmt::format("bad JSON: {}", error.what()));
  } catch (const std::length_error&) {
    reader.fail_file(fmt::format("bad JSON: nested deeper than {} levels", kMaxJsonDepth));
  }
  return parse_document(doc, arrays, reader);
}

Case read_case_file(const std::filesystem::path& path) {
  const std::string source = path.string();
  const Reader reader(source);
  try {
    InputFile file(path, kMaxCaseFileBytes, "case file");
    std::string text;
    file.read(text, kHeadBytes);
    if (file.size() > text.size()) {
      // Too long to read on trust: its declaration bounds it before the rest is read.
      const DeclaredShape shape = scan_declared_shape(text);
      if (!shape.rows || !shape.n) {
        reader.fail_file(fmt::format("{} bytes, and no \"rows\" and \"n\" in its first {} bytes: a case file "
                                     "over 1 MiB must declare them before its arrays (as normcheck writes them)",
                                     file.size(), kHeadBytes));
      }
      // Out of range: the parser's messages (read_count), without reading what follows.
      if (*shape.rows < 1 || *shape.rows > static_cast<std::uint64_t>(kMaxRows))
        reader.fail("rows", fmt::format("{} is out of range [1, {}]", *shape.rows, kMaxRows));
      if (*shape.n < 1 || *shape.n > static_cast<std::uint64_t>(kMaxN))
        reader.fail("n", fmt::format("{} is out of range [1, {}]", *shape.n, kMaxN));
      if (!shape_in_range(*shape.rows, *shape.n))
        reader.fail("n", fmt::format("rows * n = {} exceeds {}", *shape.rows * *shape.n, kMaxValues));
      const auto rows = static_cast<std::int64_t>(*shape.rows), n = static_cast<std::int64_t>(*shape.n);
      const std::uint64_t limit = case_file_size_limit(rows, n);
      if (file.size() > limit) {
        reader.fail_file(fmt::format("{} bytes, more than a case of rows = {} and n = {} can need ({} bytes)",
                                     file.size(), rows, n, limit));
      }
      file.read(text, file.size() - text.size());
    }
    return parse_case(text, source);
  } catch (const std::bad_alloc&) {
    reader.fail_file("not enough memory to read this case");
  }
}

std::string case_to_json(const Case& c) {
  const ref::NormProblem& p = c.problem;
  const auto string_field = [](std::string_view key, std::string_view value) {
    return fmt::format("  \"{}\": {}", key, Json(std::string(value)).dump(-1, ' ', false,
                                                                         Json::error_handler_t::replace));
  };
  std::string out = "{\n";
  out += string_field("op", ref::op_name(p.op)) + ",\n";
  out += string_field("x_dtype", ref::format_name(p.x_format)) + ",\n";
  out += string_field("param_dtype", ref::format_name(p.param_format)) + ",\n";
  out += string_field("y_dtype", ref::format_name(p.y_format)) + ",\n";
  out += fmt::format("  \"rows\": {},\n  \"n\": {},\n", p.rows, p.n);
  out += string_field("eps", hex_float(p.eps)) + ",\n";
  const auto array_field = [&out](std::string_view key, const std::vector<double>& values) {
    out += fmt::format("  \"{}\": ", key);
    if (values.empty()) {
      out += "null";
    } else {
      append_values(out, values);
    }
    out += ",\n";
  };
  array_field("x", p.x);
  array_field("gamma", p.gamma);
  array_field("beta", p.beta);
  array_field("residual", p.residual);
  out += string_field("residual_sum", p.residual_sum == ref::ResidualSum::exact ? "exact" : "rounded");
  if (c.direction == Direction::backward) {
    out += ",\n" + string_field("direction", "backward") + ",\n";
    array_field("dy", c.dy);
    out.resize(out.size() - 2);  // array_field ends its line with ",\n"
  }
  if (!c.kernel.empty()) out += ",\n" + string_field("kernel", c.kernel);
  if (c.expect) out += ",\n" + string_field("expect", verdict_name(*c.expect));
  if (!c.note.empty()) out += ",\n" + string_field("note", c.note);
  out += "\n}\n";
  return out;
}

ref::BackwardProblem backward_problem(const Case& c) { return ref::backward_problem(c.problem, c.dy); }

Case backward_case(const ref::BackwardProblem& problem) {
  Case c;
  c.problem = ref::forward_problem(problem);
  c.direction = Direction::backward;
  c.dy = problem.dy;
  return c;
}

void write_case_file(const std::filesystem::path& path, const Case& c) {
  write_file_atomically(path, case_to_json(c));
}

}  // namespace normcheck::harness
