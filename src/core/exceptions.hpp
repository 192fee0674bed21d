// File: core/exceptions.hpp
//
// Owns the exception hierarchy of Gauntlet. An operation that cannot complete (I/O, network,
// parse, bad config, a corrupt store) throws a child of GauntletError and nothing else; library
// exceptions are caught at the module edge and rethrown as one of these. Business outcomes
// (risk denial, venue reject) are values or events, never exceptions; broken invariants abort
// through GAUNTLET_CHECK (core/check.hpp).
//
// Threading: plain value types, safe to throw and catch on any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gauntlet {

class GauntletError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Decimal parse, overflow, division by zero.
class DecimalError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// A symbol that cannot be canonicalised.
class SymbolError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// A timestamp or timeframe that cannot be parsed or represented.
class TimeError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// An invalid configuration. problems() holds every problem found, each as
// "path: problem (got value)"; what() joins them one per line.
class ConfigError : public GauntletError {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// An argument outside its domain: an indicator period below its minimum, an unknown indicator
// column name, input series of different lengths.
class ArgumentError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// Market data that is missing, malformed or inconsistent.
class DataError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// The state store or runtime state cannot be read or written.
class StateError : public GauntletError {
 public:
  using GauntletError::GauntletError;
};

// A state store constraint violation (UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL, CHECK), so
// the caller decides whether a duplicate is a bug or an expected outcome.
class ConstraintError : public StateError {
 public:
  using StateError::StateError;
};

// A venue call that failed. code() is the venue's own code (Bybit retCode, IBKR error code) or
// an HTTP status; retryable() says whether the same call may succeed if repeated.
class BrokerError : public GauntletError {
 public:
  BrokerError(const std::string& message, int code, bool retryable)
      : GauntletError(message), code_(code), retryable_(retryable) {}
  int code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }

 private:
  int code_;
  bool retryable_;
};

}  // namespace gauntlet
