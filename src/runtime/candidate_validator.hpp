// File: runtime/candidate_validator.hpp
//
// CandidateValidator: the port through which the running engine hands a candidate that reached
// the paper-trade threshold to the gauntlet's validation (seed 001 §1.1: the runtime "triggers
// validation transitions"), and takes the verdicts back. The engine never waits for it: submit()
// only queues, the validation (backtests, walk-forward, stress tests, shocks, the gate) runs on
// a worker thread of its own over the session's stored bars and its own store connection, and
// the engine applies each verdict to its registry on its own thread when it polls take().
//
// The implementation lives in runtime/validation_pipeline (which links the validation
// modules; the runtime cannot, since the backtester runs the runtime); the composition root
// plugs it in through RunOptions::validator.
//
// Threading: submit(), take() and idle() are called on the engine thread; the implementation
// synchronises with its worker.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/time.hpp"

namespace gauntlet::runtime {

// Where a session's evidence comes from: real bars (a replay or a live feed) can qualify a
// strategy for capital; the simulated market only in a labelled demo.
enum class Evidence { kReplay, kLive, kSimulatedDemo };
std::string_view to_string(Evidence evidence);

// One candidate to validate on the session's bars in [from, to): `to` is the session's market
// time when it qualified, so the backtests never see a bar the session had not seen yet.
struct ValidationJob {
  std::string strategy_id;
  TimestampMs from = 0;
  TimestampMs to = 0;
  int64_t closed_trades = 0;  // its paper trades when it qualified
};

// The gate's decision on a job, or the failure that prevented one.
struct ValidationVerdict {
  std::string strategy_id;
  bool passed = false;
  std::vector<std::string> reasons;  // the gate's failed criteria (empty when it passed)
  std::string error;                 // the validation could not run (no bars, ...): not passed
  // Refused for want of evidence only (GateDecision::short_of_evidence_only): too early, not
  // bad; it does not count toward exploration.max_validation_attempts.
  bool short_of_evidence = false;
  std::filesystem::path report;  // report.html, when one was written
  Evidence evidence = Evidence::kReplay;
  TimestampMs from = 0;
  TimestampMs to = 0;
  double seconds = 0;  // wall time of the validation
};

// What the composition root's factory gets to build a validator for a started session.
struct ValidatorContext {
  config::Config config;
  std::filesystem::path state_dir;  // the session's (its gauntlet.db: registry, trial log)
  std::filesystem::path bar_root;   // the bar store the session reads
  Evidence evidence = Evidence::kReplay;
};

class CandidateValidator {
 public:
  virtual ~CandidateValidator() = default;
  // Queues a job; false when the strategy is already queued or running.
  virtual bool submit(ValidationJob job) = 0;
  // The verdicts finished since the last call.
  virtual std::vector<ValidationVerdict> take() = 0;
  // Nothing queued or running.
  virtual bool idle() const = 0;
  // Blocks until idle (a replay that reached its end waits for its validations).
  virtual void wait_idle() = 0;
};

}  // namespace gauntlet::runtime
