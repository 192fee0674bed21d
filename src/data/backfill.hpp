// File: data/backfill.hpp
//
// The data_manager's REST backfill (seed 000 DataManager.fetch_klines_async): every missing
// closed bar of a range, fetched from the venue page by page into the store. The plan comes
// from the store (gap_backfill_plan), each page is stored before the next is fetched, so an
// interrupted backfill resumes where it stopped when run again. Retryable venue errors (5xx,
// rate limits, timeouts, unreadable bodies) are retried with exponential backoff and full
// jitter; the venue's rate limits are honoured through the RateLimiter installed as the
// client's request gate.
//
// Threading: coroutines on the core io_context; the manager, client and limiter must outlive
// them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "brokers/bybit/rest_client.hpp"
#include "core/asio.hpp"
#include "data/data_manager.hpp"
#include "data/rate_limiter.hpp"

namespace gauntlet::data {

struct BackfillOptions {
  std::size_t page_limit = brokers::bybit::kMaxKlineLimit;
  int max_retries = 8;  // per request
  DurationMs initial_backoff = 250;
  DurationMs max_backoff = 30'000;
  uint64_t seed = 0;  // of the jitter; 0 = from the clock
};

struct BackfillProgress {
  std::size_t requests_done = 0;
  std::size_t requests_total = 0;
  std::size_t bars_stored = 0;
};

struct BackfillResult {
  std::size_t requests = 0;  // pages fetched
  std::size_t bars = 0;      // bars stored
  std::size_t retries = 0;
  std::size_t still_missing = 0;  // bars the venue did not have
};

// Fetches every closed bar with open time in [from, min(to, now)) missing from the manager's
// store. Throws the last BrokerError or DataError when a request fails max_retries times or
// fails in a way retrying cannot fix.
asio::awaitable<BackfillResult> fetch_klines_async(
    DataManager& manager, brokers::bybit::RestClient& client, const Clock& clock, Symbol symbol,
    Timeframe timeframe, TimestampMs from, TimestampMs to, BackfillOptions options = {},
    std::function<void(const BackfillProgress&)> on_progress = {});

// Fetches the venue's instruments of the manager's domain (every page) into its cache and
// returns how many it holds.
asio::awaitable<std::size_t> refresh_instruments_async(DataManager& manager,
                                                       brokers::bybit::RestClient& client);

// Makes `client` wait for a token of `limiter` before every request (endpoint
// "<venue>:<path>") and feeds the limiter every response's rate-limit headers.
void connect_rate_limiter(brokers::bybit::RestClient& client, RateLimiter& limiter,
                          const Clock& clock, std::string venue = "bybit");

}  // namespace gauntlet::data
