// Files: whole-file reads, read-only memory maps, and atomic writes (write a temporary, fsync,
// rename) so that a crash never leaves a half-written file behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace arbor {

StatusOr<std::string> read_file(const std::string& path);

// Writes `contents` to `path` through a temporary file in the same folder and a rename.
Status write_file_atomic(const std::string& path, std::string_view contents);

// A read-only memory map of a whole file. Movable, not copyable; unmaps on destruction.
class MappedFile {
 public:
  static StatusOr<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const std::uint8_t* data, std::size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const std::uint8_t* data_;
  std::size_t size_;
};

bool file_exists(const std::string& path);
bool is_directory(const std::string& path);
// "a/b" + "c" -> "a/b/c".
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace arbor
