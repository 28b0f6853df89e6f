// Choices that shrink towards their first entry. RapidCheck's weightedElement,
// weightedOneOf, element and elementOf draw an index that never shrinks, so a failing
// case drawn from them keeps its regime and its size however simple the failure: these
// draw the index with inRange, which shrinks towards 0. List the simplest entry first.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <rapidcheck.h>

namespace normcheck::props {

// One of the generators, chosen with the given weights; shrinks towards the first.
template <class T>
rc::Gen<T> weighted_towards_first(std::vector<std::pair<std::size_t, rc::Gen<T>>> choices) {
  std::size_t total = 0;
  for (const auto& choice : choices) total += choice.first;
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, total), [choices](std::size_t u) {
    for (const auto& [weight, gen] : choices) {
      if (u < weight) return gen;
      u -= weight;
    }
    return choices.back().second;
  });
}

// One of the values, with the given weights; shrinks towards the first.
template <class T>
rc::Gen<T> weighted_element_towards_first(const std::vector<std::pair<std::size_t, T>>& elements) {
  std::vector<std::pair<std::size_t, rc::Gen<T>>> choices;
  for (const auto& [weight, value] : elements) choices.emplace_back(weight, rc::gen::just(value));
  return weighted_towards_first(std::move(choices));
}

// One of the values, uniformly; shrinks towards the first (an ascending list: smaller).
template <class T>
rc::Gen<T> element_towards_first(std::vector<T> elements) {
  const std::size_t count = elements.size();
  return rc::gen::map(rc::gen::inRange<std::size_t>(0, count),
                      [elements = std::move(elements)](std::size_t i) { return elements[i]; });
}

}  // namespace normcheck::props
