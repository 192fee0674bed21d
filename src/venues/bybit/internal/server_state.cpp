#include "venues/bybit/internal/server_state.hpp"

#include <algorithm>
#include <utility>

#include "core/check.hpp"

namespace gauntlet::venues::bybit::internal {

namespace {

// The "symbol" of an instrument or ticker item; aborts when it has none.
std::string symbol_of(const nlohmann::json& item, std::string_view what) {
  GAUNTLET_CHECK(item.is_object() && item.contains("symbol") && item["symbol"].is_string(),
                 "a local Bybit {} needs a string \"symbol\", was {}", what, item.dump());
  return item["symbol"].get<std::string>();
}

// Replaces the item with the same symbol or appends it, so the list keeps insertion order.
void upsert_by_symbol(std::vector<nlohmann::json>& items, nlohmann::json item,
                      std::string_view what) {
  const std::string symbol = symbol_of(item, what);
  const auto same = std::find_if(items.begin(), items.end(), [&](const nlohmann::json& existing) {
    return existing["symbol"] == symbol;
  });
  if (same != items.end()) {
    *same = std::move(item);
  } else {
    items.push_back(std::move(item));
  }
}

bool has_symbol(const std::vector<nlohmann::json>& items, const std::string& symbol) {
  return std::any_of(items.begin(), items.end(),
                     [&](const nlohmann::json& item) { return item["symbol"] == symbol; });
}

}  // namespace

void ServerState::set_klines(Category category, const std::string& symbol, Timeframe timeframe,
                             std::vector<Bar> bars) {
  std::map<TimestampMs, Bar> by_open_time;
  for (Bar& bar : bars) by_open_time[bar.open_time] = std::move(bar);
  std::lock_guard lock(mutex_);
  klines_[KlineKey{category, symbol, timeframe}] = std::move(by_open_time);
}

void ServerState::add_kline(Category category, const std::string& symbol, Timeframe timeframe,
                            const Bar& bar) {
  std::lock_guard lock(mutex_);
  klines_[KlineKey{category, symbol, timeframe}][bar.open_time] = bar;
}

std::vector<Bar> ServerState::klines(Category category, const std::string& symbol,
                                     Timeframe timeframe, TimestampMs start, TimestampMs end,
                                     std::size_t limit) const {
  std::vector<Bar> newest_first;
  if (start > end) return newest_first;
  std::lock_guard lock(mutex_);
  const auto series = klines_.find(KlineKey{category, symbol, timeframe});
  if (series == klines_.end()) return newest_first;
  const auto first = series->second.lower_bound(start);
  auto last = series->second.upper_bound(end);
  while (last != first && newest_first.size() < limit) {
    --last;
    newest_first.push_back(last->second);
  }
  return newest_first;
}

bool ServerState::knows_symbol(Category category, const std::string& symbol) const {
  std::lock_guard lock(mutex_);
  for (const auto& [key, bars] : klines_) {
    if (std::get<0>(key) == category && std::get<1>(key) == symbol) return true;
  }
  return has_symbol(instruments_[index_of(category)], symbol) ||
         has_symbol(tickers_[index_of(category)], symbol);
}

void ServerState::add_instrument(Category category, nlohmann::json instrument) {
  std::lock_guard lock(mutex_);
  upsert_by_symbol(instruments_[index_of(category)], std::move(instrument), "instrument");
}

std::vector<nlohmann::json> ServerState::instruments(Category category) const {
  std::lock_guard lock(mutex_);
  return instruments_[index_of(category)];
}

void ServerState::set_ticker(Category category, nlohmann::json ticker) {
  std::lock_guard lock(mutex_);
  upsert_by_symbol(tickers_[index_of(category)], std::move(ticker), "ticker");
}

std::vector<nlohmann::json> ServerState::tickers(Category category) const {
  std::lock_guard lock(mutex_);
  return tickers_[index_of(category)];
}

void ServerState::fail_next_http(int count, int status) {
  GAUNTLET_CHECK(status >= 100 && status <= 599, "HTTP status must be in 100..599, was {}", status);
  std::lock_guard lock(mutex_);
  fail_remaining_ = std::max(count, 0);
  fail_status_ = status;
}

void ServerState::rate_limit_next_http(int count, DurationMs reset_after) {
  std::lock_guard lock(mutex_);
  rate_limit_remaining_ = std::max(count, 0);
  rate_limit_reset_after_ = reset_after;
}

void ServerState::set_malformed_http(int count) {
  std::lock_guard lock(mutex_);
  malformed_remaining_ = std::max(count, 0);
}

void ServerState::stall_for(std::chrono::milliseconds duration) {
  std::lock_guard lock(mutex_);
  stall_until_ = std::chrono::steady_clock::now() + duration;
}

PendingFaults ServerState::pending_faults() const {
  std::lock_guard lock(mutex_);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      stall_until_ - std::chrono::steady_clock::now());
  return {fail_remaining_,         fail_status_,         rate_limit_remaining_,
          rate_limit_reset_after_, malformed_remaining_, std::max<DurationMs>(left.count(), 0)};
}

bool ServerState::stalled() const {
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() < stall_until_;
}

RestFault ServerState::take_rest_fault() {
  RestFault fault;
  {
    std::lock_guard lock(mutex_);
    ++http_requests_;
    if (std::chrono::steady_clock::now() < stall_until_) {
      fault.kind = RestFault::Kind::kStall;
    } else if (fail_remaining_ > 0) {
      --fail_remaining_;
      fault.kind = RestFault::Kind::kHttpStatus;
      fault.http_status = fail_status_;
    } else if (rate_limit_remaining_ > 0) {
      --rate_limit_remaining_;
      fault.kind = RestFault::Kind::kRateLimit;
      fault.reset_after = rate_limit_reset_after_;
    } else if (malformed_remaining_ > 0) {
      --malformed_remaining_;
      fault.kind = RestFault::Kind::kMalformed;
      fault.malformed_variant = next_malformed_variant_++;
    }
  }
  changed_.notify_all();
  return fault;
}

void ServerState::record_ws_opened() {
  {
    std::lock_guard lock(mutex_);
    ++ws_connections_;
    ++open_ws_connections_;
  }
  changed_.notify_all();
}

void ServerState::record_ws_closed() {
  {
    std::lock_guard lock(mutex_);
    --open_ws_connections_;
  }
  changed_.notify_all();
}

void ServerState::record_ping() {
  {
    std::lock_guard lock(mutex_);
    ++pings_received_;
  }
  changed_.notify_all();
}

void ServerState::add_subscription(Category category, const std::string& topic) {
  {
    std::lock_guard lock(mutex_);
    ++subscriptions_[index_of(category)][topic];
  }
  changed_.notify_all();
}

void ServerState::remove_subscription(Category category, const std::string& topic) {
  {
    std::lock_guard lock(mutex_);
    auto& counts = subscriptions_[index_of(category)];
    const auto found = counts.find(topic);
    if (found != counts.end() && --found->second <= 0) counts.erase(found);
  }
  changed_.notify_all();
}

int ServerState::http_requests() const {
  std::lock_guard lock(mutex_);
  return http_requests_;
}

int ServerState::ws_connections() const {
  std::lock_guard lock(mutex_);
  return ws_connections_;
}

int ServerState::open_ws_connections() const {
  std::lock_guard lock(mutex_);
  return open_ws_connections_;
}

int ServerState::pings_received() const {
  std::lock_guard lock(mutex_);
  return pings_received_;
}

std::vector<std::string> ServerState::subscriptions(Category category) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> topics;
  for (const auto& [topic, clients] : subscriptions_[index_of(category)]) topics.push_back(topic);
  return topics;
}

bool ServerState::wait_for_subscription(Category category, const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  return wait_until(timeout, [&] { return subscriptions_[index_of(category)].contains(topic); });
}

bool ServerState::wait_for_ws_connections(int count, std::chrono::milliseconds timeout) {
  return wait_until(timeout, [&] { return ws_connections_ >= count; });
}

bool ServerState::wait_for_http_requests(int count, std::chrono::milliseconds timeout) {
  return wait_until(timeout, [&] { return http_requests_ >= count; });
}

}  // namespace gauntlet::venues::bybit::internal
