// Exact spelling of a double for people and files: the case files, the oracle command and
// every finding message write values this way, so what is printed can be pasted back.
#pragma once

#include <string>

namespace normcheck::harness {

// A double as a C99 hex float ("0x1.8p-3"), or "inf", "-inf", "nan".
std::string hex_float(double value);

}  // namespace normcheck::harness
