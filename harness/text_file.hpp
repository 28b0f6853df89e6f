// Reading a user-named input file (case file, budget file) whole, with one-line errors.
#pragma once

#include <filesystem>
#include <string>

namespace normcheck::harness {

// The file's bytes. Throws InputError naming the path when it is missing, a directory
// or unreadable.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace normcheck::harness
