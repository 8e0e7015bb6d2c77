// lock_holder: holds a write lock on an SQLite database until killed, as another process
// would.
//
//   lock_holder DB [exclusive]
//
// Default: BEGIN IMMEDIATE (writers wait, readers go on, as with any WAL writer).
// "exclusive": PRAGMA locking_mode = EXCLUSIVE and a write, so no other process can even read.
// Prints "locked" once it holds the lock.
#include <cstdio>
#include <string>

#include <unistd.h>

#include "memory/internal/sqlite.h"

int main(int argc, char** argv) {
  using arbor::memory::internal::Connection;
  using arbor::memory::internal::OpenMode;
  if (argc < 2) {
    std::fprintf(stderr, "usage: lock_holder DB [exclusive]\n");
    return 2;
  }
  const bool exclusive = argc > 2 && std::string(argv[2]) == "exclusive";
  auto conn = Connection::open(argv[1], OpenMode::kReadWrite, 0);
  if (!conn.ok()) {
    std::printf("error %s\n", conn.status().message().c_str());
    return 1;
  }
  arbor::Status s;
  if (exclusive) {
    s = (*conn)->exec(
        "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
        "UPDATE meta SET value = value WHERE key = 'vector_epoch'");
  } else {
    s = (*conn)->exec("BEGIN IMMEDIATE");
  }
  if (!s.ok()) {
    std::printf("error %s\n", s.message().c_str());
    return 1;
  }
  std::printf("locked\n");
  std::fflush(stdout);
  while (true) ::pause();
}
