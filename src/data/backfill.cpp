#include "data/backfill.hpp"

#include <algorithm>
#include <random>

#include "core/exceptions.hpp"
#include "core/logging.hpp"

namespace gauntlet::data {
namespace {

namespace bybit = brokers::bybit;

asio::awaitable<void> sleep_for(DurationMs duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(std::max<DurationMs>(duration, 0)));
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> wait_for_token(RateLimiter& limiter, const Clock& clock,
                                     std::string endpoint) {
  while (!limiter.try_acquire(endpoint)) {
    co_await sleep_for(std::max<DurationMs>(1, limiter.next_available(endpoint) - clock.now_ms()));
  }
}

}  // namespace

void connect_rate_limiter(bybit::RestClient& client, RateLimiter& limiter, const Clock& clock,
                          std::string venue) {
  client.set_request_gate([&limiter, &clock, venue](std::string_view path) {
    return wait_for_token(limiter, clock, venue + ":" + std::string(path));
  });
  client.set_response_observer(
      [&limiter, venue](std::string_view path, int status, const bybit::RateLimitStatus& limits) {
        const std::string endpoint = venue + ":" + std::string(path);
        if (status == 429 || status == 403) {
          // 403 is Bybit's IP ban: it asks for at least ten minutes.
          limiter.on_rate_limited(endpoint, limits.reset_time,
                                  status == 403 ? 10 * kMinuteMs : kSecondMs);
        } else if (limits.remaining && limits.reset_time) {
          limiter.on_response(endpoint, static_cast<int>(*limits.remaining), *limits.reset_time);
        }
      });
}

asio::awaitable<std::size_t> refresh_instruments_async(DataManager& manager,
                                                       bybit::RestClient& client) {
  const auto category = bybit::category_of(manager.domain());
  if (!category)
    throw DataError(fmt::format("Bybit has no {} market", to_string(manager.domain())));
  const bybit::InstrumentsPage page = co_await client.get_all_instruments_async(*category);
  manager.set_instruments(page.instruments);
  co_return manager.instrument_count();
}

asio::awaitable<BackfillResult> fetch_klines_async(
    DataManager& manager, bybit::RestClient& client, const Clock& clock, Symbol symbol,
    Timeframe timeframe, TimestampMs from, TimestampMs to, BackfillOptions options,
    std::function<void(const BackfillProgress&)> on_progress) {
  const auto category = bybit::category_of(manager.domain());
  if (!category) {
    throw DataError(fmt::format("Bybit has no {} market", to_string(manager.domain())));
  }
  const auto log = module_logger("data_manager");
  const TimestampMs closed_before = std::min(to, floor_to(clock.now_ms(), timeframe));
  const auto plan =
      manager.gap_backfill_plan(symbol, timeframe, from, closed_before, options.page_limit);
  std::mt19937_64 jitter(options.seed != 0 ? options.seed : static_cast<uint64_t>(clock.now_ms()));
  BackfillResult result;
  BackfillProgress progress{0, plan.size(), 0};
  for (const KlineRequest& request : plan) {
    std::vector<Bar> bars;
    for (int attempt = 0;; ++attempt) {
      try {
        auto response =
            co_await client.get_klines_async(*category, symbol, timeframe, request.from,
                                             request.to - 1, static_cast<int>(request.bars));
        bars = std::move(response.value);
        break;
      } catch (const BrokerError& error) {
        if (!error.retryable() || attempt >= options.max_retries) throw;
        log->warn("kline request failed, retrying symbol={} from={} code={} attempt={} error={}",
                  symbol.canonical(), format_iso8601(request.from), error.code(), attempt + 1,
                  error.what());
      } catch (const DataError& error) {
        if (attempt >= options.max_retries) throw;
        log->warn("unreadable kline answer, retrying symbol={} attempt={} error={}",
                  symbol.canonical(), attempt + 1, error.what());
      }
      ++result.retries;
      // Exponential backoff with full jitter: uniform in [0, min(max, initial * 2^attempt)].
      const DurationMs ceiling =
          std::min(options.max_backoff, options.initial_backoff << std::min(attempt, 20));
      co_await sleep_for(static_cast<DurationMs>(jitter() % static_cast<uint64_t>(ceiling + 1)));
    }
    std::erase_if(bars, [&](const Bar& bar) {
      return bar.open_time < request.from || bar.open_time >= request.to;
    });
    if (!bars.empty()) manager.upsert_bars(symbol, timeframe, bars);
    result.bars += bars.size();
    result.still_missing += request.bars - std::min(request.bars, bars.size());
    ++result.requests;
    progress.requests_done = result.requests;
    progress.bars_stored = result.bars;
    if (on_progress) on_progress(progress);
  }
  co_return result;
}

}  // namespace gauntlet::data
