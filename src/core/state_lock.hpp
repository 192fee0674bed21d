// File: core/state_lock.hpp
//
// StateLock: one engine per state directory. acquire() takes an exclusive, non-blocking flock(2)
// on DIR/LOCK and writes the holder into it (pid, command, start time), so that a second engine
// on the same directory stops at once with a message naming the one that holds it:
//
//   state directory state/paper is in use by gauntlet run (pid 12345, since
//   2026-12-07T03:10:00.000Z); stop it first or use another state directory
//
// The lock lives as long as the object (RAII, movable). The kernel releases it when the process
// ends however it ends, SIGKILL included, so a dead engine never leaves a stale lock. Only the
// flock counts: the record is emptied on release, and what a killed holder left in it is
// overwritten by the next holder. The LOCK file itself is never deleted (deleting it would let
// two processes lock two different files of the same name).
//
// Who takes it: every process that writes a state directory (gauntlet run, a backtest's
// engine). A read-only viewer (gauntlet serve) does not take it and runs beside the engine:
// SQLite's WAL lets it read while the engine writes.
//
// Semantics of flock: the lock belongs to the open file description, so a second acquire() in
// the same process is refused like one from another process. The descriptor is close-on-exec, so
// a program the engine execs does not inherit the lock; a child made by a bare fork() does, and
// the lock then lasts until both have closed it. flock on NFS is emulated with fcntl locks and is
// not relied upon: keep state directories on a local file system.
//
// Threading: acquire() and the destructor may run on any thread; one StateLock is not shared.
#pragma once

#include <filesystem>
#include <string_view>

namespace gauntlet {

class StateLock {
 public:
  // Locks `directory`/LOCK (creating the file, not the directory) for this process and records
  // `command` (e.g. "gauntlet run"), the pid and the wall-clock time in it. Throws StateError
  // naming the directory and the holder (command, pid, since) when another StateLock holds it,
  // and naming the file and the system's message when it cannot be opened, locked or written.
  static StateLock acquire(const std::filesystem::path& directory, std::string_view command);

  // Releases the lock; the LOCK file stays.
  ~StateLock();
  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&& other) noexcept;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  void release() noexcept;

  int fd_ = -1;  // -1 once moved from
};

}  // namespace gauntlet
