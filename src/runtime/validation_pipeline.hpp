// File: runtime/validation_pipeline.hpp
//
// ValidationPipeline: the running engine's automatic gauntlet (seed 001 §1.1, §8), the
// CandidateValidator the composition root plugs into the runtime. Each job is one
// validation::validate() of the candidate - backtests of it, its family and its shocks on the
// session's stored bars up to the time it qualified, walk-forward, stress tests, PBO, DSR with
// the session's trial log, the promotion gate - with apply off: the verdict goes back to the
// engine, which alone writes its registry. The report is written under
// <state_dir>/reports/<strategy id>/, where the API serves it.
//
// One worker thread runs the jobs in order; validate() itself spreads each job's backtests over
// `threads` workers. The worker opens its own connection to the session's database (SQLite in
// WAL mode: the engine's writes never wait for it, its trial-log writes wait for the engine's
// commits).
//
// Threading: submit(), take(), idle(), wait_idle() from the engine thread; the destructor stops
// the worker after the job in progress.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runtime/candidate_validator.hpp"

namespace gauntlet::runtime {

struct ValidationPipelineOptions {
  std::filesystem::path search_space = "config/ml_search.json";
  std::size_t family_size = 8;
  bool shocks = true;
  std::size_t stress_paths = 2000;
  std::size_t threads = 0;  // validate()'s workers per job; 0: one per core
  int universe_size = 30;
  double min_turnover = 5e6;
};

class ValidationPipeline final : public CandidateValidator {
 public:
  ValidationPipeline(ValidatorContext context, ValidationPipelineOptions options);
  ~ValidationPipeline() override;
  ValidationPipeline(const ValidationPipeline&) = delete;
  ValidationPipeline& operator=(const ValidationPipeline&) = delete;

  bool submit(ValidationJob job) override;
  std::vector<ValidationVerdict> take() override;
  bool idle() const override;
  void wait_idle() override;

  std::filesystem::path reports_dir() const { return context_.state_dir / "reports"; }

 private:
  void work();
  ValidationVerdict run(const ValidationJob& job) const;

  const ValidatorContext context_;
  const ValidationPipelineOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<ValidationJob> queue_;
  std::set<std::string> pending_;  // queued or running
  std::vector<ValidationVerdict> verdicts_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace gauntlet::runtime
