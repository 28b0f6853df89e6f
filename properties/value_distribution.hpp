// Distributions of single values (sign, binade, significand bit fields; constants; small
// integers) that draw from a plain 64-bit stream, so a row of n values costs n draws
// instead of n RapidCheck shrink trees.
//
// RapidCheck draws each value of rc::gen::container through its own generator: a split of
// the random state, a tuple of three sub-draws and a heap-allocated shrink tree, about
// 1 us a value. The gate draws ~10^8 values, so that was a fifth of its time. A
// distribution draws a whole row from one RapidCheck draw (a seed), and its rows shrink
// lazily, element by element, towards simpler values of the same distribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <variant>
#include <vector>

#include <rapidcheck.h>

#include "reference/format.hpp"

namespace normcheck::props {

// SplitMix64: a tiny stream of well-mixed 64-bit words from one seed.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t v = (state_ += 0x9e37'79b9'7f4a'7c15ULL);
    v = (v ^ (v >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
    v = (v ^ (v >> 27)) * 0x94d0'49bb'1331'11ebULL;
    return v ^ (v >> 31);
  }
  // Uniform in [0, count), count >= 1 (multiply-high: no division, bias below 2^-11 for
  // every count used here, which are at most 2^52).
  std::uint64_t below(std::uint64_t count) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * count) >> 64);
  }

 private:
  std::uint64_t state_;
};

// The kinds of values a distribution mixes.
struct ConstantValue {
  double value;
};
struct BinadeValues {  // finite values whose binade exponent lies in [lo, hi], random sign
  int lo, hi;
};
struct SubnormalValues {};  // subnormals of the format (never zero), random sign
struct IntegerValues {      // integers in [-magnitude, magnitude]
  int magnitude;
};
using ValueKind = std::variant<ConstantValue, BinadeValues, SubnormalValues, IntegerValues>;

class ValueDistribution {
 public:
  struct Part {
    unsigned weight;
    ValueKind kind;
  };

  // One kind of value of `format`. Binades are clamped to the format's finite range (below
  // emin they give subnormals, rounded to nearest even: zero or the smallest normal too).
  ValueDistribution(ref::Format format, ValueKind kind);
  // A weighted mix of distributions (each weight applies to the whole part, whatever its
  // own weights); they should share a format.
  static ValueDistribution mix(std::vector<std::pair<unsigned, ValueDistribution>> parts);

  ref::Format format() const { return format_; }
  double draw(SplitMix64& stream) const;

  // One value: a distribution is a RapidCheck generator implementation, so it converts to
  // rc::Gen<double> wherever one is expected. Shrinks like a row's elements.
  rc::Shrinkable<double> operator()(const rc::Random& random, int size) const;

 private:
  ValueDistribution(ref::Format format, std::vector<Part> parts);
  double draw_kind(const ValueKind& kind, SplitMix64& stream) const;

  ref::Format format_;
  std::vector<Part> parts_;
  unsigned total_weight_ = 0;
};

// Simpler values in the support of every distribution above, simplest first: the magnitude
// of a negative value, then the power of two of its binade (every kind is symmetric in sign
// and closed under taking the binade's power of two, subnormal or integer ones included).
rc::Seq<double> simpler_values(double value);

// `count` values drawn from `values` in order, from one RapidCheck draw (a seed): a shorter
// row from the same random state is a prefix of a longer one (shrinking n keeps the values
// drawn). Shrinks element by element with simpler_values.
rc::Gen<std::vector<double>> drawn_values(ValueDistribution values, std::size_t count);

}  // namespace normcheck::props
