// Compactly drawn large cases, expanded (expanded_gen.hpp).
#include "properties/expanded_gen.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace normcheck::props {
namespace {

using Values = std::vector<double>;

// SplitMix64's finalizer: every bit of the input reaches every bit of the output.
std::uint64_t mix(std::uint64_t v) {
  v += 0x9e37'79b9'7f4a'7c15ULL;
  v = (v ^ (v >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d0'49bb'1331'11ebULL;
  return v ^ (v >> 31);
}

std::size_t pick(std::uint64_t salt, std::uint64_t key, std::size_t count) {
  return static_cast<std::size_t>(mix(salt ^ mix(key)) % count);
}

}  // namespace

rc::Gen<Values> long_vector(ValueDistribution values, std::int64_t count) {
  if (count <= kDrawnOneByOne) return drawn_values(std::move(values), static_cast<std::size_t>(count));
  return rc::gen::map(rc::gen::tuple(drawn_values(std::move(values), static_cast<std::size_t>(kMotifLength)),
                                     rc::gen::arbitrary<std::uint64_t>()),
                      [count](const std::tuple<Values, std::uint64_t>& drawn) {
                        const auto& [motif, salt] = drawn;
                        Values out(static_cast<std::size_t>(count));
                        for (std::size_t i = 0; i < out.size(); ++i) out[i] = motif[pick(salt, i, motif.size())];
                        return out;
                      });
}

rc::Gen<Values> expanded_rows(const RowGen& row_gen, std::int64_t rows, std::int64_t n) {
  const std::int64_t length = std::min(n, kMotifLength);
  const std::int64_t pool_rows = std::min(rows, kPoolRows);
  const std::int64_t elements = rows * n;
  using Perturbations = std::pair<std::vector<std::int64_t>, Values>;
  auto perturbations = rc::gen::weightedOneOf<Perturbations>(
      {{1, rc::gen::just(Perturbations{})},
       {3, rc::gen::mapcat(rc::gen::inRange<std::int64_t>(1, 5), [row_gen, elements](std::int64_t count) {
          return rc::gen::map(
              rc::gen::tuple(rc::gen::container<std::vector<std::int64_t>>(
                                 static_cast<std::size_t>(count), rc::gen::inRange<std::int64_t>(0, elements)),
                             row_gen(count)),
              [](const std::tuple<std::vector<std::int64_t>, Values>& drawn) {
                return Perturbations{std::get<0>(drawn), std::get<1>(drawn)};
              });
        })}});
  return rc::gen::map(
      rc::gen::tuple(rc::gen::container<std::vector<Values>>(static_cast<std::size_t>(pool_rows), row_gen(length)),
                     rc::gen::arbitrary<std::uint64_t>(), std::move(perturbations)),
      [rows, n, length](const std::tuple<std::vector<Values>, std::uint64_t, Perturbations>& drawn) {
        const auto& [pool, salt, changes] = drawn;
        Values out(static_cast<std::size_t>(rows * n));
        for (std::int64_t r = 0; r < rows; ++r) {
          const auto ru = static_cast<std::uint64_t>(r);
          Values row = pool[pick(salt, ~ru, pool.size())];
          row.resize(static_cast<std::size_t>(length), 0.0);  // as drawn; shrinking keeps lengths
          const bool in_order = static_cast<std::int64_t>(row.size()) == n;
          for (std::int64_t c = 0; c < n; ++c) {
            const auto k = static_cast<std::size_t>(r * n + c);
            out[k] = in_order ? row[static_cast<std::size_t>(c)] : row[pick(salt, k, row.size())];
          }
        }
        const auto& [positions, values] = changes;
        for (std::size_t i = 0; i < positions.size() && i < values.size(); ++i) {
          out[static_cast<std::size_t>(positions[i] % (rows * n))] = values[i];
        }
        return out;
      });
}

}  // namespace normcheck::props
