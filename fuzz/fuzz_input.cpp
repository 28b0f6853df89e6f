// Decoding and encoding of the differential fuzz targets' binary layout (fuzz_input.hpp).
#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

std::size_t width(ref::Format format) { return static_cast<std::size_t>(ref::traits(format).bits / 8); }

std::optional<ref::Format> format_from_tag(unsigned tag) {
  if (tag >= 1 && tag <= 4) return static_cast<ref::Format>(tag);
  return std::nullopt;
}

std::uint64_t load_element(const std::uint8_t* p, std::size_t bytes) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < bytes; ++i) bits |= std::uint64_t{p[i]} << (8 * i);
  return bits;
}

void store_element(std::vector<std::uint8_t>& out, std::uint64_t bits, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

std::vector<std::uint64_t> convert_bits(const std::vector<std::uint64_t>& bits, ref::Format from, ref::Format to) {
  std::vector<std::uint64_t> out;
  out.reserve(bits.size());
  for (auto b : bits) out.push_back(ref::to_bits(to, ref::round_to_format(to, ref::from_bits(from, b))));
  return out;
}

std::vector<double> values_in(const std::vector<std::uint64_t>& bits, ref::Format storage, ref::Format target) {
  std::vector<double> out;
  out.reserve(bits.size());
  for (auto b : bits) {
    double v = ref::from_bits(storage, b);
    out.push_back(storage == target ? v : ref::round_to_format(target, v));
  }
  return out;
}

std::vector<std::uint64_t> bits_of(const std::vector<double>& values, ref::Format format, std::size_t count) {
  std::vector<std::uint64_t> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count && i < values.size(); ++i) out.push_back(ref::to_bits(format, values[i]));
  return out;
}

}  // namespace

namespace {

// A cursor over the input's bytes.
struct Reader {
  const std::uint8_t* p;
  std::size_t left;
  std::uint64_t take(std::size_t bytes) {
    const std::uint64_t v = load_element(p, bytes);
    p += bytes;
    left -= bytes;
    return v;
  }
  void array(std::vector<std::uint64_t>& dst, std::size_t count, std::size_t w) {
    dst.resize(count);
    for (auto& bits : dst) bits = take(w);
  }
};

ref::Format target_format(const FuzzInput& in, PatternTarget target) {
  return target == PatternTarget::x || target == PatternTarget::residual ? in.x_storage : in.param_storage;
}

std::optional<FuzzInput> decode_pattern(FuzzInput in, const std::uint8_t* data, std::size_t size) {
  if (size < kPatternHeaderBytes) return std::nullopt;
  in.rows = 1 + (data[2] | (data[3] << 8)) % kMaxRows;
  in.n = 1 + (data[4] | (data[5] << 8));
  const bool large = (data[0] & kFlagLarge) != 0;
  const std::int64_t elements = large ? kMaxElements : kUsualPatternElements;
  in.n = std::min(in.n, elements);
  in.rows = std::clamp<std::int64_t>(elements / in.n, 1, in.rows);
  in.eps_choice = data[6];
  in.eps_bits = static_cast<std::uint32_t>(load_element(data + 7, 4));
  RowPattern pattern;
  auto motif = static_cast<std::size_t>(1 + (data[11] & 0x3Fu));
  pattern.expansion = std::min(static_cast<Expansion>(data[11] >> 6), Expansion::hashed);
  pattern.step = data[12];
  const std::size_t perturbations = data[13] % (kMaxPerturbations + 1);

  const bool residual = (in.flags & kFlagResidual) != 0;
  const std::size_t wx = width(in.x_storage), wp = width(in.param_storage);
  const std::size_t params = ((in.flags & kFlagGamma) ? 1u : 0u) + ((in.flags & kFlagBeta) ? 1u : 0u);
  const std::size_t per_position = wx * (residual ? 2u : 1u) + wp * params;
  Reader bytes{data + kPatternHeaderBytes, size - kPatternHeaderBytes};
  motif = std::min(motif, bytes.left / per_position);
  if (motif == 0) return std::nullopt;
  bytes.array(in.x, motif, wx);
  if (residual) bytes.array(in.residual, motif, wx);
  if (in.flags & kFlagGamma) bytes.array(in.gamma, motif, wp);
  if (in.flags & kFlagBeta) bytes.array(in.beta, motif, wp);
  for (std::size_t i = 0; i < perturbations && bytes.left >= 4; ++i) {
    Perturbation change;
    change.target = static_cast<PatternTarget>(bytes.p[0] & 3u);
    const std::size_t w = width(target_format(in, change.target));
    if (bytes.left < 4 + w) break;
    bytes.take(1);
    change.index = static_cast<std::uint32_t>(bytes.take(3));
    change.bits = bytes.take(w);
    pattern.perturbations.push_back(change);
  }
  in.pattern = std::move(pattern);
  in.flags = input_flags(in);
  return in;
}

std::optional<FuzzInput> decode_raw(FuzzInput in, const std::uint8_t* data, std::size_t size) {
  in.rows = 1 + data[2] % kMaxRawRows;
  in.n = 1 + (data[3] | (data[4] << 8)) % kMaxRawN;
  in.rows = std::clamp<std::int64_t>(kMaxElements / in.n, 1, in.rows);
  in.eps_choice = data[5];
  in.eps_bits = static_cast<std::uint32_t>(load_element(data + 6, 4));

  const bool residual = (in.flags & kFlagResidual) != 0;
  const std::size_t wx = width(in.x_storage), wp = width(in.param_storage);
  const std::size_t params = ((in.flags & kFlagGamma) ? 1u : 0u) + ((in.flags & kFlagBeta) ? 1u : 0u);
  const std::size_t available = size - kHeaderBytes;
  // Bytes one column costs across the rows: x (and residual) for each row, plus params.
  auto column_bytes = [&](std::int64_t rows) {
    return static_cast<std::size_t>(rows) * wx * (residual ? 2u : 1u) + wp * params;
  };
  auto fitting_n = [&](std::int64_t rows) { return static_cast<std::int64_t>(available / column_bytes(rows)); };
  if (fitting_n(in.rows) < in.n) {
    // Short input: keep the rows while at least one column fits, then fall back to one row.
    if (fitting_n(in.rows) == 0) in.rows = 1;
    in.n = std::min(in.n, fitting_n(in.rows));
  }
  if (in.n < 1) return std::nullopt;

  Reader bytes{data + kHeaderBytes, available};
  const auto elements = static_cast<std::size_t>(in.rows * in.n);
  bytes.array(in.x, elements, wx);
  if (residual) bytes.array(in.residual, elements, wx);
  if (in.flags & kFlagGamma) bytes.array(in.gamma, static_cast<std::size_t>(in.n), wp);
  if (in.flags & kFlagBeta) bytes.array(in.beta, static_cast<std::size_t>(in.n), wp);
  return in;
}

}  // namespace

std::uint8_t input_flags(const FuzzInput& in) {
  const bool large = in.pattern && in.rows * in.n > kUsualPatternElements;
  return static_cast<std::uint8_t>((in.residual.empty() ? 0 : kFlagResidual) | (in.gamma.empty() ? 0 : kFlagGamma) |
                                   (in.beta.empty() ? 0 : kFlagBeta) | (in.pattern ? kFlagPattern : 0) |
                                   (large ? kFlagLarge : 0));
}

std::optional<FuzzInput> decode_input(const std::uint8_t* data, std::size_t size, const harness::KernelShape& shape) {
  if (size < kHeaderBytes) return std::nullopt;
  FuzzInput in;
  in.flags = data[0] & (kFlagGamma | kFlagBeta | kFlagResidual);
  in.x_storage = format_from_tag(data[1] & 0xFu).value_or(shape.x_format);
  in.param_storage = format_from_tag(data[1] >> 4).value_or(shape.param_format);
  if (data[0] & kFlagPattern) return decode_pattern(std::move(in), data, size);
  return decode_raw(std::move(in), data, size);
}

std::vector<std::uint8_t> encode_input(const FuzzInput& in) {
  std::vector<std::uint8_t> out;
  const std::size_t wx = width(in.x_storage), wp = width(in.param_storage);
  out.reserve(kPatternHeaderBytes + (in.x.size() + in.residual.size()) * wx + (in.gamma.size() + in.beta.size()) * wp);
  out.push_back(input_flags(in));
  out.push_back(static_cast<std::uint8_t>(static_cast<unsigned>(in.x_storage) |
                                          (static_cast<unsigned>(in.param_storage) << 4)));
  const auto push16 = [&out](std::int64_t v) {
    const auto code = static_cast<std::uint16_t>(v);
    out.push_back(static_cast<std::uint8_t>(code & 0xFFu));
    out.push_back(static_cast<std::uint8_t>(code >> 8));
  };
  if (in.pattern) {
    push16(in.rows - 1);
    push16(in.n - 1);
  } else {
    out.push_back(static_cast<std::uint8_t>(in.rows - 1));
    push16(in.n - 1);
  }
  out.push_back(in.eps_choice);
  store_element(out, in.eps_bits, 4);
  if (in.pattern) {
    out.push_back(static_cast<std::uint8_t>((in.x.size() - 1) | (static_cast<unsigned>(in.pattern->expansion) << 6)));
    out.push_back(in.pattern->step);
    out.push_back(static_cast<std::uint8_t>(in.pattern->perturbations.size()));
  }
  for (auto b : in.x) store_element(out, b, wx);
  for (auto b : in.residual) store_element(out, b, wx);
  for (auto b : in.gamma) store_element(out, b, wp);
  for (auto b : in.beta) store_element(out, b, wp);
  if (in.pattern) {
    for (const Perturbation& change : in.pattern->perturbations) {
      out.push_back(static_cast<std::uint8_t>(change.target));
      store_element(out, change.index, 3);
      store_element(out, change.bits, width(target_format(in, change.target)));
    }
  }
  return out;
}

double input_eps(const FuzzInput& in) {
  if (in.eps_choice < kEpsTable.size()) return kEpsTable[in.eps_choice];
  const float eps = std::fabs(std::bit_cast<float>(in.eps_bits));
  if (std::isnan(eps)) return 0.0;
  if (std::isinf(eps)) return std::numeric_limits<float>::max();
  return eps;
}

void set_input_eps(FuzzInput& in, double eps) {
  const auto* hit = std::find(kEpsTable.begin(), kEpsTable.end(), eps);
  if (hit != kEpsTable.end()) {
    in.eps_choice = static_cast<std::uint8_t>(hit - kEpsTable.begin());
    return;
  }
  in.eps_choice = 0xFF;
  in.eps_bits = std::bit_cast<std::uint32_t>(static_cast<float>(ref::round_to_format(ref::Format::f32, eps)));
}

void convert_storage(FuzzInput& in, const harness::KernelShape& shape) {
  if (in.pattern) {
    for (Perturbation& change : in.pattern->perturbations) {
      const ref::Format from = target_format(in, change.target);
      const bool x_side = change.target == PatternTarget::x || change.target == PatternTarget::residual;
      const ref::Format to = x_side ? shape.x_format : shape.param_format;
      change.bits = convert_bits({change.bits}, from, to).front();
    }
    if (!shape.fused) {
      auto& changes = in.pattern->perturbations;
      changes.erase(std::remove_if(changes.begin(), changes.end(),
                                   [](const Perturbation& c) { return c.target == PatternTarget::residual; }),
                    changes.end());
    }
  }
  if (in.x_storage != shape.x_format) {
    in.x = convert_bits(in.x, in.x_storage, shape.x_format);
    in.residual = convert_bits(in.residual, in.x_storage, shape.x_format);
    in.x_storage = shape.x_format;
  }
  if (in.param_storage != shape.param_format) {
    in.gamma = convert_bits(in.gamma, in.param_storage, shape.param_format);
    in.beta = convert_bits(in.beta, in.param_storage, shape.param_format);
    in.param_storage = shape.param_format;
  }
  if (!shape.fused) in.residual.clear();
  in.flags = input_flags(in);
}

FuzzInput expanded(const FuzzInput& in) {
  if (!in.pattern) return in;
  FuzzInput out = in;
  out.pattern.reset();
  const RowPattern& pattern = *in.pattern;
  const auto spread = [&pattern](const std::vector<std::uint64_t>& motif, ref::Format format, std::int64_t rows,
                                 std::int64_t n) {
    return motif.empty() ? motif : expand_motif(motif, format, pattern.expansion, pattern.step, rows, n);
  };
  out.x = spread(in.x, in.x_storage, in.rows, in.n);
  out.residual = spread(in.residual, in.x_storage, in.rows, in.n);
  out.gamma = spread(in.gamma, in.param_storage, 1, in.n);
  out.beta = spread(in.beta, in.param_storage, 1, in.n);
  for (const Perturbation& change : pattern.perturbations) {
    std::vector<std::uint64_t>* target = change.target == PatternTarget::x          ? &out.x
                                         : change.target == PatternTarget::residual ? &out.residual
                                         : change.target == PatternTarget::gamma    ? &out.gamma
                                                                                    : &out.beta;
    if (!target->empty()) (*target)[change.index % target->size()] = change.bits;
  }
  out.flags = input_flags(out);
  return out;
}

ref::NormProblem to_problem(const FuzzInput& packed, const harness::KernelShape& shape) {
  const FuzzInput in = expanded(packed);
  ref::NormProblem p;
  p.op = shape.op;
  p.x_format = shape.x_format;
  p.param_format = shape.param_format;
  p.y_format = shape.y_format;
  p.rows = in.rows;
  p.n = in.n;
  p.eps = input_eps(in);
  p.x = values_in(in.x, in.x_storage, shape.x_format);
  if (shape.fused) p.residual = values_in(in.residual, in.x_storage, shape.x_format);
  p.gamma = values_in(in.gamma, in.param_storage, shape.param_format);
  p.beta = values_in(in.beta, in.param_storage, shape.param_format);
  return p;
}

FuzzInput from_problem(const ref::NormProblem& p) {
  FuzzInput in;
  in.x_storage = p.x_format;
  in.param_storage = p.param_format;
  set_input_eps(in, p.eps);
  if (p.rows > kMaxRawRows || p.n > kMaxRawN) {
    // Too large to write out: a pattern of the same shape over the first values.
    in.n = std::clamp<std::int64_t>(p.n, 1, kMaxN);
    in.rows = std::clamp<std::int64_t>(std::min(p.rows, kMaxElements / in.n), 1, kMaxRows);
    const auto motif = static_cast<std::size_t>(std::min<std::int64_t>(p.n, kMaxMotif));
    in.x = bits_of(p.x, p.x_format, motif);
    in.residual = bits_of(p.residual, p.x_format, motif);
    in.gamma = bits_of(p.gamma, p.param_format, motif);
    in.beta = bits_of(p.beta, p.param_format, motif);
    in.pattern = RowPattern{};
    in.flags = input_flags(in);
    return in;
  }
  in.rows = std::max<std::int64_t>(p.rows, 1);
  in.n = std::max<std::int64_t>(p.n, 1);
  // Truncation keeps the first rows and the first columns of each row.
  for (std::int64_t r = 0; r < in.rows; ++r) {
    for (std::int64_t c = 0; c < in.n; ++c) {
      const auto at = static_cast<std::size_t>(r * p.n + c);
      if (at < p.x.size()) in.x.push_back(ref::to_bits(p.x_format, p.x[at]));
      if (at < p.residual.size()) in.residual.push_back(ref::to_bits(p.x_format, p.residual[at]));
    }
  }
  in.gamma = bits_of(p.gamma, p.param_format, static_cast<std::size_t>(in.n));
  in.beta = bits_of(p.beta, p.param_format, static_cast<std::size_t>(in.n));
  in.flags = input_flags(in);
  return in;
}

}  // namespace normcheck::fuzz
