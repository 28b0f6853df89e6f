// The error every layer throws for bad user input (a case file, a budget file, a flag):
// its message is one line that names the file and the field, and the CLI prints it and
// exits 2. Its own header so that readers and validators need not include a codec.
#pragma once

#include <stdexcept>

namespace normcheck::harness {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace normcheck::harness
