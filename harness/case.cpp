// Case-file codec: strict, exact JSON <-> Case (DESIGN.md "Case files", docs/case-files.md).
#include "harness/case.hpp"

#include <cerrno>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <array>
#include <iterator>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/text_file.hpp"

namespace normcheck::harness {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kMaxN = std::int64_t{1} << 24;
constexpr std::int64_t kMaxRows = std::int64_t{1} << 16;
constexpr std::int64_t kMaxValues = std::int64_t{1} << 26;
// Deeper nesting is never a case file; bounding it keeps hostile input cheap.
constexpr int kMaxJsonDepth = 16;

constexpr std::array<std::string_view, 15> kKnownKeys = {
    "op",   "x_dtype", "param_dtype", "y_dtype",  "rows",         "n",      "eps",  "x",
    "gamma", "beta",   "residual",    "residual_sum", "kernel",   "expect", "note"};

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

// One value of an array in the given format: exact hex or special token, or a plain
// JSON number rounded to the format (RNE).
double read_value(const Reader& reader, std::string_view field, std::size_t index,
                  const Json& item, ref::Format format) {
  if (item.is_string()) {
    const auto& token = item.get_ref<const std::string&>();
    double value = 0;
    switch (parse_token(token, value)) {
      case Token::value:
        break;
      case Token::inexact_hex:
        reader.fail_at(field, index,
                       fmt::format("{} is not representable in {}", token, ref::format_name(format)));
      case Token::not_a_number_token:
        reader.fail_at(field, index,
                       fmt::format("{} is not a hex float, inf, -inf or nan", shown_string(token)));
    }
    if (!ref::is_representable(format, value)) {
      reader.fail_at(field, index,
                     fmt::format("{} is not representable in {}", token, ref::format_name(format)));
    }
    return value;
  }
  if (item.is_number()) return ref::round_to_format(format, item.get<double>());
  reader.fail_at(field, index, fmt::format("expected a hex float string or a number, got {}",
                                           item.type_name()));
}

std::vector<double> read_values(const Reader& reader, const Json& doc, std::string_view field,
                                std::int64_t expected_count, std::string_view count_name,
                                ref::Format format, bool nullable) {
  const auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    if (nullable) return {};
    reader.fail(field, "missing");
  }
  if (!it->is_array()) {
    reader.fail(field, fmt::format("expected an array{}, got {}", nullable ? " or null" : "",
                                   it->type_name()));
  }
  if (static_cast<std::int64_t>(it->size()) != expected_count) {
    reader.fail(field, fmt::format("expected {} values ({}), got {}", expected_count, count_name,
                                   it->size()));
  }
  std::vector<double> values;
  values.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    values.push_back(read_value(reader, field, i, (*it)[i], format));
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

Case parse_document(const Json& doc, const Reader& reader) {
  if (!doc.is_object()) reader.fail_file(fmt::format("expected a JSON object, got {}", doc.type_name()));
  for (const auto& item : doc.items()) {
    bool known = false;
    for (auto key : kKnownKeys) known = known || item.key() == key;
    if (!known) reader.fail(item.key(), "unknown key (typo?)");
  }

  Case result;
  ref::NormProblem& p = result.problem;
  const std::string op = read_string(reader, doc, "op");
  if (op == "layernorm") {
    p.op = ref::Op::layernorm;
  } else if (op == "rmsnorm") {
    p.op = ref::Op::rmsnorm;
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
  p.x = read_values(reader, doc, "x", p.rows * p.n, "rows*n", p.x_format, false);
  p.gamma = read_values(reader, doc, "gamma", p.n, "n", p.param_format, true);
  p.beta = read_values(reader, doc, "beta", p.n, "n", p.param_format, true);
  p.residual = read_values(reader, doc, "residual", p.rows * p.n, "rows*n", p.x_format, true);

  const std::string residual_sum = optional_string(reader, doc, "residual_sum");
  if (residual_sum == "" || residual_sum == "exact") {
    p.residual_sum = ref::ResidualSum::exact;
  } else if (residual_sum == "rounded") {
    p.residual_sum = ref::ResidualSum::rounded;
  } else {
    reader.fail("residual_sum", fmt::format("{} is neither \"exact\" nor \"rounded\"", shown_string(residual_sum)));
  }

  result.kernel = optional_string(reader, doc, "kernel");
  result.expect = optional_string(reader, doc, "expect");
  if (!result.expect.empty() && result.expect != "pass" && result.expect != "fail") {
    reader.fail("expect", fmt::format("{} is neither \"pass\" nor \"fail\"", shown_string(result.expect)));
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

std::string hex_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", value);
  return buffer;
}

Case parse_case(std::string_view json_text, std::string_view source_name) {
  const Reader reader(source_name);
  Json doc;
  try {
    // The callback bounds nesting (recursion depth in the DOM code) for hostile input,
    // and rejects a key given twice in one object (the DOM would keep the last one
    // silently, so an edited file could mean something other than it reads).
    std::vector<std::set<std::string>> keys_of_open_objects;
    const Json::parser_callback_t check_structure = [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (depth > kMaxJsonDepth) throw std::length_error("nesting too deep");
      if (event == Json::parse_event_t::object_start) {
        keys_of_open_objects.emplace_back();
      } else if (event == Json::parse_event_t::object_end && !keys_of_open_objects.empty()) {
        keys_of_open_objects.pop_back();
      } else if (event == Json::parse_event_t::key && !keys_of_open_objects.empty()) {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys_of_open_objects.back().insert(key).second) reader.fail(key, "duplicate key");
      }
      return true;
    };
    doc = Json::parse(json_text.begin(), json_text.end(), check_structure);
  } catch (const Json::exception& error) {
    reader.fail_file(fmt::format("bad JSON: {}", error.what()));
  } catch (const std::length_error&) {
    reader.fail_file(fmt::format("bad JSON: nested deeper than {} levels", kMaxJsonDepth));
  }
  return parse_document(doc, reader);
}

Case read_case_file(const std::filesystem::path& path) {
  return parse_case(read_text_file(path), path.string());
}

std::string case_to_json(const Case& c) {
  const ref::NormProblem& p = c.problem;
  const auto string_field = [](std::string_view key, std::string_view value) {
    return fmt::format("  \"{}\": {}", key, Json(std::string(value)).dump(-1, ' ', false,
                                                                         Json::error_handler_t::replace));
  };
  std::string out = "{\n";
  out += string_field("op", p.op == ref::Op::layernorm ? "layernorm" : "rmsnorm") + ",\n";
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
  if (!c.kernel.empty()) out += ",\n" + string_field("kernel", c.kernel);
  if (!c.expect.empty()) out += ",\n" + string_field("expect", c.expect);
  if (!c.note.empty()) out += ",\n" + string_field("note", c.note);
  out += "\n}\n";
  return out;
}

void write_case_file(const std::filesystem::path& path, const Case& c) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << case_to_json(c);
  out.flush();
  if (!out) throw InputError(fmt::format("{}: cannot write the file", path.string()));
}

}  // namespace normcheck::harness
