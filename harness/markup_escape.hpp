// Escaping text for XML and HTML output (the JUnit report and the HTML accuracy report).
#pragma once

#include <string>
#include <string_view>

namespace normcheck::harness {

// &, <, >, " and ' as entities; control characters other than tab and newline (not
// allowed in XML 1.0) as spaces. The result is valid in XML and in HTML text and attributes.
std::string markup_escape(std::string_view text);

}  // namespace normcheck::harness
