// Up-front checks of the paths a command will write, so that a bad --junit, --json,
// --save-failures or --out fails before a long run instead of after it.
#pragma once

#include <filesystem>
#include <string_view>

namespace normcheck::harness {

// A file the command will create or overwrite: not a directory, its parent directory
// exists and is writable (and the file itself, if it exists). Throws InputError naming
// the flag and the path.
void require_writable_file(std::string_view flag, const std::filesystem::path& path);

// A directory the command will write into: created if missing (with its parents), must
// not be a file, must be writable. Throws InputError naming the flag and the path.
void require_writable_directory(std::string_view flag, const std::filesystem::path& path);

}  // namespace normcheck::harness
