// Binary encoding of problems and evaluations for the checker's worker pipe.
#include "harness/wire_codec.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace normcheck::harness::wire {
namespace {

class Writer {
 public:
  template <typename T>
  void pod(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void doubles(const std::vector<double>& values) {
    pod<std::uint64_t>(values.size());
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  }
  void text(const std::string& value) {
    pod<std::uint64_t>(value.size());
    bytes_.append(value);
  }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T pod() {
    T value;
    std::memcpy(&value, take(sizeof value).data(), sizeof value);
    return value;
  }
  std::vector<double> doubles() {
    const auto count = pod<std::uint64_t>();
    if (count > bytes_.size() / sizeof(double)) throw std::runtime_error("wire: truncated array");
    std::vector<double> values(count);
    const std::string_view payload = take(count * sizeof(double));
    // An empty vector's data() may be null, and memcpy takes no null pointer even for 0 bytes.
    if (count > 0) std::memcpy(values.data(), payload.data(), payload.size());
    return values;
  }
  std::string text() {
    const auto size = pod<std::uint64_t>();
    return std::string(take(size));
  }

 private:
  std::string_view take(std::size_t size) {
    if (size > bytes_.size()) throw std::runtime_error("wire: truncated message");
    auto head = bytes_.substr(0, size);
    bytes_.remove_prefix(size);
    return head;
  }
  std::string_view bytes_;
};

}  // namespace

std::string encode_problem(const ref::NormProblem& p) {
  Writer w;
  w.pod(p.op);
  w.pod(p.x_format);
  w.pod(p.param_format);
  w.pod(p.y_format);
  w.pod(p.residual_sum);
  w.pod(p.rows);
  w.pod(p.n);
  w.pod(p.eps);
  w.doubles(p.x);
  w.doubles(p.residual);
  w.doubles(p.gamma);
  w.doubles(p.beta);
  return w.take();
}

ref::NormProblem decode_problem(std::string_view bytes) {
  Reader r(bytes);
  ref::NormProblem p;
  p.op = r.pod<ref::Op>();
  p.x_format = r.pod<ref::Format>();
  p.param_format = r.pod<ref::Format>();
  p.y_format = r.pod<ref::Format>();
  p.residual_sum = r.pod<ref::ResidualSum>();
  p.rows = r.pod<std::int64_t>();
  p.n = r.pod<std::int64_t>();
  p.eps = r.pod<double>();
  p.x = r.doubles();
  p.residual = r.doubles();
  p.gamma = r.doubles();
  p.beta = r.doubles();
  return p;
}

std::string encode_backward_problem(const ref::BackwardProblem& p) {
  Writer w;
  w.pod(p.op);
  w.pod(p.x_format);
  w.pod(p.param_format);
  w.pod(p.dy_format);
  w.pod(p.rows);
  w.pod(p.n);
  w.pod(p.eps);
  w.doubles(p.x);
  w.doubles(p.dy);
  w.doubles(p.gamma);
  return w.take();
}

ref::BackwardProblem decode_backward_problem(std::string_view bytes) {
  Reader r(bytes);
  ref::BackwardProblem p;
  p.op = r.pod<ref::Op>();
  p.x_format = r.pod<ref::Format>();
  p.param_format = r.pod<ref::Format>();
  p.dy_format = r.pod<ref::Format>();
  p.rows = r.pod<std::int64_t>();
  p.n = r.pod<std::int64_t>();
  p.eps = r.pod<double>();
  p.x = r.doubles();
  p.dy = r.doubles();
  p.gamma = r.doubles();
  return p;
}

std::string encode_evaluation(const CaseEvaluation& e) {
  Writer w;
  w.pod(e.skipped);
  w.text(e.skip_reason);
  w.pod(e.outputs_checked);
  w.pod(e.max_ulp_error);
  w.pod(e.max_score);
  w.pod(e.max_ulp_distance);
  w.pod(e.special_mismatches);
  w.doubles(e.ulp_errors);
  w.doubles(e.scores);
  w.pod(e.signed_errors);
  w.pod<std::uint64_t>(e.groups.size());
  for (const auto& g : e.groups) {
    w.text(g.name);
    w.pod(g.outputs);
    w.pod(g.max_ulp_error);
    w.pod(g.max_score);
  }
  w.pod<std::uint64_t>(e.violations.size());
  for (const auto& v : e.violations) {
    w.text(std::string(class_name(v.klass)));
    w.text(v.message);
    w.pod(v.location.row);
    w.pod(v.location.column);
  }
  return w.take();
}

CaseEvaluation decode_evaluation(std::string_view bytes) {
  Reader r(bytes);
  CaseEvaluation e;
  e.skipped = r.pod<bool>();
  e.skip_reason = r.text();
  e.outputs_checked = r.pod<std::int64_t>();
  e.max_ulp_error = r.pod<double>();
  e.max_score = r.pod<double>();
  e.max_ulp_distance = r.pod<std::int64_t>();
  e.special_mismatches = r.pod<std::int64_t>();
  e.ulp_errors = r.doubles();
  e.scores = r.doubles();
  e.signed_errors = r.pod<SignedErrorTally>();
  const auto groups = r.pod<std::uint64_t>();
  for (std::uint64_t i = 0; i < groups; ++i) {
    OutputGroup g;
    g.name = r.text();
    g.outputs = r.pod<std::int64_t>();
    g.max_ulp_error = r.pod<double>();
    g.max_score = r.pod<double>();
    e.groups.push_back(std::move(g));
  }
  const auto count = r.pod<std::uint64_t>();
  for (std::uint64_t i = 0; i < count; ++i) {
    Violation v;
    const std::string name = r.text();
    const auto klass = parse_violation_class(name);
    if (!klass) throw std::runtime_error("unknown violation class '" + name + "'");
    v.klass = *klass;
    v.message = r.text();
    v.location.row = r.pod<std::int64_t>();
    v.location.column = r.pod<std::int64_t>();
    e.violations.push_back(std::move(v));
  }
  return e;
}

}  // namespace normcheck::harness::wire
