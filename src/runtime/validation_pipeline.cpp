#include "runtime/validation_pipeline.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "validation/validation_manager.hpp"

namespace gauntlet::runtime {
namespace {

auto& log() {
  static auto logger = module_logger("validation_pipeline");
  return *logger;
}

}  // namespace

ValidationPipeline::ValidationPipeline(ValidatorContext context, ValidationPipelineOptions options)
    : context_(std::move(context)), options_(std::move(options)) {
  worker_ = std::thread([this] { work(); });
}

ValidationPipeline::~ValidationPipeline() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool ValidationPipeline::submit(ValidationJob job) {
  {
    const std::lock_guard lock(mutex_);
    if (stop_ || !pending_.insert(job.strategy_id).second) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::vector<ValidationVerdict> ValidationPipeline::take() {
  const std::lock_guard lock(mutex_);
  std::vector<ValidationVerdict> out;
  out.swap(verdicts_);
  return out;
}

bool ValidationPipeline::idle() const {
  const std::lock_guard lock(mutex_);
  return pending_.empty();
}

void ValidationPipeline::wait_idle() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return pending_.empty() || stop_; });
}

void ValidationPipeline::work() {
  for (;;) {
    ValidationJob job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    ValidationVerdict verdict = run(job);
    {
      const std::lock_guard lock(mutex_);
      pending_.erase(job.strategy_id);
      verdicts_.push_back(std::move(verdict));
    }
    done_.notify_all();
  }
}

ValidationVerdict ValidationPipeline::run(const ValidationJob& job) const {
  const auto started = std::chrono::steady_clock::now();
  ValidationVerdict verdict;
  verdict.strategy_id = job.strategy_id;
  verdict.evidence = context_.evidence;
  verdict.from = job.from;
  verdict.to = job.to;
  validation::ValidateSpec spec;
  spec.config = context_.config;
  spec.data_root = context_.bar_root;
  if (job.from > 0) spec.from = job.from;
  spec.to = job.to;
  spec.session_state = context_.state_dir;
  spec.strategy_id = job.strategy_id;
  spec.search_space = options_.search_space;
  spec.reports_dir = reports_dir();
  spec.family_size = options_.family_size;
  spec.shocks = options_.shocks;
  spec.stress_paths = options_.stress_paths;
  spec.threads = options_.threads;
  spec.apply = false;           // the engine applies the verdict on its own thread
  spec.handle_signals = false;  // the session handles them
  spec.universe_size = options_.universe_size;
  spec.min_turnover = options_.min_turnover;
  log().info("validating {} on {} bars {}..{}", job.strategy_id, to_string(context_.evidence),
             format_iso8601(job.from), format_iso8601(job.to));
  try {
    const validation::ValidationOutcome outcome = validation::validate(spec);
    verdict.passed = outcome.decision.passed;
    verdict.reasons = outcome.decision.reasons;
    verdict.short_of_evidence = outcome.decision.short_of_evidence_only();
    verdict.report = outcome.report.html;
  } catch (const std::exception& error) {
    verdict.error = error.what();
    log().error("validation of {} failed to run: {}", job.strategy_id, error.what());
  }
  verdict.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log().info("validated {} in {:.1f} s: {}", job.strategy_id, verdict.seconds,
             verdict.passed ? "passed" : "failed");
  return verdict;
}

}  // namespace gauntlet::runtime
