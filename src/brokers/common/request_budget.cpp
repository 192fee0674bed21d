#include "brokers/common/request_budget.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <utility>

#include "core/exceptions.hpp"

namespace gauntlet::brokers {
namespace {

constexpr int kRateLimitedRetCode = 10006;

int clamp_limit(int64_t limit) {
  return static_cast<int>(std::clamp<int64_t>(limit, 1, std::numeric_limits<int>::max()));
}

}  // namespace

std::string_view to_string(Priority priority) {
  switch (priority) {
    case Priority::kCancel:
      return "cancel";
    case Priority::kProtection:
      return "protection";
    case Priority::kExit:
      return "exit";
    case Priority::kEntry:
      return "entry";
    case Priority::kMarketData:
      return "market_data";
  }
  return "unknown";
}

BudgetConfig bybit_budget_config() {
  BudgetConfig config;
  config.endpoints = {
      {"/v5/order/create", 10, kSecondMs},           {"/v5/order/create@linear", 10, kSecondMs},
      {"/v5/order/create@spot", 20, kSecondMs},      {"/v5/order/amend", 10, kSecondMs},
      {"/v5/order/cancel", 10, kSecondMs},           {"/v5/order/cancel@linear", 10, kSecondMs},
      {"/v5/order/cancel@spot", 20, kSecondMs},      {"/v5/order/realtime", 50, kSecondMs},
      {"/v5/order/history", 50, kSecondMs},          {"/v5/execution/list", 50, kSecondMs},
      {"/v5/position/list", 50, kSecondMs},          {"/v5/position/trading-stop", 10, kSecondMs},
      {"/v5/account/wallet-balance", 50, kSecondMs},
  };
  return config;
}

// ---- RequestScheduler::Window

int RequestScheduler::Window::count(TimestampMs now) const {
  const auto first = std::upper_bound(sent.begin(), sent.end(), now - window);
  return static_cast<int>(sent.end() - first);
}

TimestampMs RequestScheduler::Window::free_at(TimestampMs now, int allowed) const {
  const int in_window = count(now);
  if (in_window < allowed) return now;
  const auto first = std::upper_bound(sent.begin(), sent.end(), now - window);
  // The in-window sends up to this one must leave the window for the count to drop below.
  const auto last_to_leave = first + (in_window - std::max(allowed, 0));
  return *last_to_leave + window;
}

void RequestScheduler::Window::prune(TimestampMs now) {
  while (!sent.empty() && sent.front() <= now - window) sent.pop_front();
}

// ---- RequestScheduler

RequestScheduler::RequestScheduler(BudgetConfig config) : config_(std::move(config)) {
  std::vector<std::string> problems;
  for (const EndpointLimit& limit : config_.endpoints) {
    if (limit.endpoint.empty()) problems.push_back("endpoints: a name is empty");
    if (limit.limit <= 0 || limit.window <= 0) {
      problems.push_back(
          fmt::format("endpoints.{}: limit and window must be positive, got {} per {} ms",
                      limit.endpoint, limit.limit, limit.window));
    }
    limits_[limit.endpoint] = limit;
  }
  if (config_.global_limit <= 0 || config_.global_window <= 0) {
    problems.push_back(fmt::format("global: limit and window must be positive, got {} per {} ms",
                                   config_.global_limit, config_.global_window));
  }
  for (std::size_t i = 0; i < kPriorityCount; ++i) {
    const int reserve = config_.global_reserve[i];
    if (reserve < 0 || reserve >= config_.global_limit ||
        (i > 0 && reserve < config_.global_reserve[i - 1])) {
      problems.push_back(
          fmt::format("global_reserve.{}: must be in [previous reserve, global_limit), got {}",
                      to_string(static_cast<Priority>(i)), reserve));
    }
  }
  if (!problems.empty()) throw ConfigError(problems);
  global_.limit = config_.global_limit;
  global_.window = config_.global_window;
}

std::string RequestScheduler::key_of(std::string_view endpoint) const {
  if (limits_.contains(endpoint)) return std::string(endpoint);
  return std::string(endpoint.substr(0, endpoint.find('@')));
}

RequestScheduler::EndpointState& RequestScheduler::state(const std::string& key) {
  auto found = states_.find(key);
  if (found != states_.end()) return found->second;
  EndpointState fresh;
  if (const auto limit = limits_.find(key); limit != limits_.end()) {
    fresh.window.limit = limit->second.limit;
    fresh.window.window = limit->second.window;
  }
  return states_.emplace(key, std::move(fresh)).first->second;
}

const RequestScheduler::EndpointState* RequestScheduler::find(std::string_view endpoint) const {
  const auto found = states_.find(key_of(endpoint));
  return found == states_.end() ? nullptr : &found->second;
}

int RequestScheduler::global_allowed(Priority priority) const {
  return config_.global_limit - config_.global_reserve[static_cast<std::size_t>(priority)];
}

TimestampMs RequestScheduler::ready_at(Priority priority, const EndpointState& state,
                                       TimestampMs now) const {
  TimestampMs at = std::max(now, global_blocked_until_);
  at = std::max(at, state.blocked_until);
  if (state.hint_remaining.has_value() && state.hint_until > now && *state.hint_remaining <= 0) {
    at = std::max(at, state.hint_until);
  }
  at = std::max(at, state.window.free_at(now, state.window.limit));
  at = std::max(at, global_.free_at(now, global_allowed(priority)));
  return at;
}

RequestScheduler::Ticket RequestScheduler::enqueue(Priority priority, std::string_view endpoint) {
  const Ticket ticket = next_ticket_++;
  std::string key = key_of(endpoint);
  state(key);
  queues_[static_cast<std::size_t>(priority)].push_back({ticket, std::move(key)});
  return ticket;
}

std::vector<RequestScheduler::Ticket> RequestScheduler::grant(TimestampMs now) {
  std::vector<Ticket> granted;
  global_.prune(now);
  if (global_blocked_until_ > now) return granted;
  for (std::size_t p = 0; p < kPriorityCount; ++p) {
    const auto priority = static_cast<Priority>(p);
    std::deque<Waiter>& queue = queues_[p];
    for (auto waiter = queue.begin(); waiter != queue.end();) {
      // The global window binds every endpoint, and lower priorities have less of it.
      if (global_.count(now) >= global_allowed(priority)) return granted;
      EndpointState& endpoint = state(waiter->endpoint);
      endpoint.window.prune(now);
      if (ready_at(priority, endpoint, now) > now) {
        ++waiter;  // its own endpoint is full or blocked: it holds back no other endpoint
        continue;
      }
      endpoint.window.sent.push_back(now);
      global_.sent.push_back(now);
      if (endpoint.hint_remaining.has_value() && endpoint.hint_until > now) {
        --*endpoint.hint_remaining;
      }
      granted.push_back(waiter->ticket);
      waiter = queue.erase(waiter);
    }
  }
  return granted;
}

bool RequestScheduler::cancel(Ticket ticket) {
  for (std::deque<Waiter>& queue : queues_) {
    const auto found = std::find_if(queue.begin(), queue.end(),
                                    [&](const Waiter& waiter) { return waiter.ticket == ticket; });
    if (found != queue.end()) {
      queue.erase(found);
      return true;
    }
  }
  return false;
}

TimestampMs RequestScheduler::block_until(std::optional<Backoff>& backoff,
                                          const BrokerFailure& failure, TimestampMs now) {
  if (!backoff.has_value()) {
    backoff.emplace(config_.block_backoff, config_.block_backoff_seed + backoff_seeds_++);
  }
  const DurationMs fallback = std::max(config_.block_backoff.max_delay, failure.retry_after);
  return now + backoff->next(failure).value_or(fallback);
}

void RequestScheduler::on_response(std::string_view endpoint, const BudgetResponse& response,
                                   TimestampMs now) {
  EndpointState& st = state(key_of(endpoint));
  if (response.limit.has_value() && *response.limit > 0) {
    st.window.limit = clamp_limit(*response.limit);
  }
  if (response.remaining.has_value() && response.reset_time.has_value() &&
      *response.reset_time > now) {
    if (*response.reset_time > st.hint_until || !st.hint_remaining.has_value()) {
      st.hint_remaining = std::max<int64_t>(*response.remaining, 0);
      st.hint_until = *response.reset_time;
    } else if (*response.reset_time == st.hint_until) {
      st.hint_remaining = std::min(*st.hint_remaining, std::max<int64_t>(*response.remaining, 0));
    }
  }
  const bool reset_ahead = response.reset_time.has_value() && *response.reset_time > now;
  if (response.http_status == 403) {
    const BrokerFailure failure = http_failure(403, "IP rate limit");
    const TimestampMs until =
        reset_ahead ? *response.reset_time : block_until(global_backoff_, failure, now);
    global_blocked_until_ = std::max(global_blocked_until_, until);
    return;
  }
  if (response.ret_code == kRateLimitedRetCode || response.http_status == 429) {
    const BrokerFailure failure = response.http_status == 429
                                      ? http_failure(429, "system protection")
                                      : bybit_failure(kRateLimitedRetCode, "rate limit exceeded");
    const TimestampMs until =
        reset_ahead ? *response.reset_time : block_until(st.backoff, failure, now);
    st.blocked_until = std::max(st.blocked_until, until);
    return;
  }
  if (response.http_status == 200 && response.ret_code == 0) {
    st.backoff.reset();
    global_backoff_.reset();
  }
}

std::optional<TimestampMs> RequestScheduler::next_wakeup(TimestampMs now) const {
  std::optional<TimestampMs> earliest;
  for (std::size_t p = 0; p < kPriorityCount; ++p) {
    for (const Waiter& waiter : queues_[p]) {
      const auto found = states_.find(waiter.endpoint);
      if (found == states_.end()) continue;
      const TimestampMs at = ready_at(static_cast<Priority>(p), found->second, now);
      if (!earliest.has_value() || at < *earliest) earliest = at;
    }
  }
  return earliest;
}

std::size_t RequestScheduler::waiting() const {
  std::size_t count = 0;
  for (const auto& queue : queues_) count += queue.size();
  return count;
}

std::optional<TimestampMs> RequestScheduler::blocked_until(std::string_view endpoint,
                                                           TimestampMs now) const {
  if (global_blocked_until_ > now) return global_blocked_until_;
  const EndpointState* st = find(endpoint);
  if (st != nullptr && st->blocked_until > now) return st->blocked_until;
  return std::nullopt;
}

int RequestScheduler::limit(std::string_view endpoint) const {
  if (const EndpointState* st = find(endpoint)) return st->window.limit;
  const auto limit = limits_.find(key_of(endpoint));
  return limit == limits_.end() ? std::numeric_limits<int>::max() : limit->second.limit;
}

int RequestScheduler::sent_in_window(std::string_view endpoint, TimestampMs now) const {
  const EndpointState* st = find(endpoint);
  return st == nullptr ? 0 : st->window.count(now);
}

int RequestScheduler::global_sent_in_window(TimestampMs now) const {
  return global_.count(now);
}

// ---- RequestBudget

struct RequestBudget::Impl : std::enable_shared_from_this<RequestBudget::Impl> {
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    bool granted = false;
  };

  Impl(asio::io_context& loop, BudgetConfig config, NowFunction now)
      : scheduler(std::move(config)), clock(std::move(now)), wake(loop) {}

  TimestampMs now() const {
    if (clock) return clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Grants what may go now, wakes the granted waiters and sets the timer for the next moment
  // that may grant more.
  void dispatch() {
    const TimestampMs at = now();
    for (const RequestScheduler::Ticket ticket : scheduler.grant(at)) {
      const auto found = waiters.find(ticket);
      if (found == waiters.end()) continue;
      found->second->granted = true;
      found->second->timer.cancel();
      waiters.erase(found);
    }
    const std::optional<TimestampMs> next = scheduler.next_wakeup(at);
    if (!next.has_value()) {
      if (armed) wake.cancel();
      armed = false;
      return;
    }
    if (armed && armed_for == *next) return;
    armed = true;
    armed_for = *next;
    wake.expires_after(std::chrono::milliseconds(std::max<TimestampMs>(*next - at, 1)));
    wake.async_wait(
        [weak = weak_from_this(), when = *next](const boost::system::error_code& error) {
          const auto self = weak.lock();
          if (error || self == nullptr || !self->armed || self->armed_for != when) return;
          self->armed = false;
          self->dispatch();
        });
  }

  RequestScheduler scheduler;
  NowFunction clock;
  asio::steady_timer wake;
  bool armed = false;
  TimestampMs armed_for = 0;
  std::unordered_map<RequestScheduler::Ticket, Waiter*> waiters;
};

RequestBudget::RequestBudget(asio::io_context& loop, BudgetConfig config, NowFunction now)
    : impl_(std::make_shared<Impl>(loop, std::move(config), std::move(now))) {}

RequestBudget::~RequestBudget() {
  impl_->wake.cancel();
  impl_->armed = false;
}

asio::awaitable<bool> RequestBudget::acquire(Priority priority, std::string endpoint,
                                             DurationMs max_wait) {
  const auto impl = impl_;
  const RequestScheduler::Ticket ticket = impl->scheduler.enqueue(priority, endpoint);
  Impl::Waiter waiter(co_await asio::this_coro::executor);
  impl->waiters[ticket] = &waiter;
  // Leaves the queue when the wait ends without a grant, the coroutine's destruction included.
  struct Leave {
    Impl& impl;
    RequestScheduler::Ticket ticket;
    const Impl::Waiter& waiter;
    ~Leave() {
      if (waiter.granted) return;
      impl.waiters.erase(ticket);
      impl.scheduler.cancel(ticket);
    }
  } leave{*impl, ticket, waiter};
  impl->dispatch();
  if (waiter.granted) co_return true;
  if (max_wait == kWaitForever) {
    waiter.timer.expires_at(asio::steady_timer::time_point::max());
  } else {
    waiter.timer.expires_after(std::chrono::milliseconds(std::max<DurationMs>(max_wait, 0)));
  }
  boost::system::error_code ignored;
  co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  co_return waiter.granted;
}

void RequestBudget::on_response(std::string_view endpoint, const BudgetResponse& response) {
  impl_->scheduler.on_response(endpoint, response, impl_->now());
  impl_->dispatch();
}

TimestampMs RequestBudget::now() const {
  return impl_->now();
}

const RequestScheduler& RequestBudget::scheduler() const {
  return impl_->scheduler;
}

}  // namespace gauntlet::brokers
