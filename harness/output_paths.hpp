// Up-front checks of the paths a command will write, so that a bad --junit, --json,
// --save-failures or --out fails before a long run instead of after it.
#pragma once

#include <filesystem>
#include <string_view>

namespace normcheck::harness {

// A file the command will create or replace (write_file_atomically): missing or a
// regular file (a symlink to one is followed), in an existing directory where a file
// can be created (tried, not read from the permission bits). Throws InputError naming the
// flag and the path.
void require_writable_file(std::string_view flag, const std::filesystem::path& path);

// Two output flags that name one file ("-" is standard output) would overwrite each
// other: the same path spelled differently, a symlink to it, a hard link.
bool same_output_file(const std::filesystem::path& a, const std::filesystem::path& b);

// A directory the command will write into: created if missing (with its parents), must
// not be a file, must be writable. Throws InputError naming the flag and the path.
void require_writable_directory(std::string_view flag, const std::filesystem::path& path);

}  // namespace normcheck::harness
