// File: validation/performance.hpp
//
// Owns the step from closed trades to the numbers every gate and report reads: the
// mark-to-market equity curve of a set of trades (one point per period, flat periods included,
// validation.md §0), its per-period returns, and PerformanceMetrics, which gathers the
// statistics of validation/metrics.hpp (Sharpe, Sortino, drawdown, CVaR, Calmar, PSR, trade
// statistics) with the exposure and the turnover.
//
// Marking: at the end of each period an open trade is worth side · qty · (close − entry) minus
// its entry fee, where close is the close of the last bar of its symbol that closed by then and
// the entry fee is the trade's fees pro rata to the entry's notional (the journal records one
// fee total per round trip). A closed trade counts its realized P&L, net of all fees, from its
// exit time on. Equity starts at `starting_equity`.
//
// Periods per year follow validation.md §0: crypto (spot, perp) trades 365 days a year, forex
// and options 260.
//
// Threading: pure functions; a PriceHistory is read-only once built.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/interfaces.hpp"
#include "core/time.hpp"
#include "data/bar_store.hpp"
#include "orders/order_journal.hpp"
#include "validation/metrics.hpp"

namespace gauntlet::validation {

// Returns the annualisation factor P of `period` bars for the asset (validation.md §0):
// 365 days a year for crypto, 260 for forex and options (35,040 and 24,960 at 15 minutes).
double periods_per_year(Asset asset, DurationMs period);

// Closes of the traded symbols, to mark open trades: for each symbol the close times and closes
// of its finest stored series.
class PriceHistory {
 public:
  // Loads, for every (domain, symbol) of `trades`, the bars of its finest timeframe in `store`
  // with open time in [from − 1 day, to).
  static PriceHistory load(const data::BarStore& store, std::span<const orders::ClosedTrade> trades,
                           TimestampMs from, TimestampMs to);

  void add(Asset asset, const Symbol& symbol, TimestampMs close_time, double close);
  // The close of the last bar of the symbol that closed at or before `time`; nullopt if none.
  std::optional<double> close_at(Asset asset, const Symbol& symbol, TimestampMs time) const;

 private:
  struct Series {
    std::vector<TimestampMs> times;
    std::vector<double> closes;
  };
  std::map<std::string, Series> series_;  // by "<domain>/<symbol>"
};

// The equity curve of `trades` marked at every period end in (from, to], from + period first.
// A point for `from` itself (starting_equity) comes first. Throws ArgumentError unless
// to > from, period > 0 and starting_equity > 0.
std::vector<EquityPoint> equity_curve(std::span<const orders::ClosedTrade> trades,
                                      const PriceHistory& prices, TimestampMs from, TimestampMs to,
                                      DurationMs period, double starting_equity);

// The simple returns E_t / E_{t−1} − 1 of a curve (one fewer than its points). A period that
// starts at equity <= 0 returns −1 (ruin).
std::vector<double> period_returns(std::span<const EquityPoint> curve);

struct PerformanceMetrics {
  TimestampMs from = 0;
  TimestampMs to = 0;
  std::size_t periods = 0;
  double periods_per_year = 0;
  double starting_equity = 0;
  double final_equity = 0;
  double total_return = 0;  // final / starting − 1
  double total_pnl = 0;     // Σ realized P&L, net of fees
  double fees = 0;
  TradeStatistics trades;
  std::optional<double> sharpe;             // annualised, per-period returns
  std::optional<double> sharpe_per_period;  // what PSR and DSR take
  std::optional<double> daily_sharpe;       // from daily returns, √365 or √260 (Lo's check)
  std::optional<double> sortino;
  double max_drawdown = 0;
  std::optional<double> cvar_95;
  std::optional<double> cagr;
  std::optional<double> calmar;
  std::optional<double> skew;
  std::optional<double> kurtosis;
  std::optional<double> psr;  // PSR(0)
  double exposure = 0;        // share of the time with a position open
  double turnover = 0;        // traded notional / average equity, per year
};

// Every metric of `trades` over [from, to): the curve marked each `period`, its returns, the
// trade statistics, exposure and turnover. `asset` picks periods_per_year.
PerformanceMetrics evaluate(std::span<const orders::ClosedTrade> trades, const PriceHistory& prices,
                            Asset asset, TimestampMs from, TimestampMs to, DurationMs period,
                            double starting_equity, std::vector<EquityPoint>* curve = nullptr,
                            std::vector<double>* returns = nullptr);

// A number for JSON as the reference vectors encode it: null when undefined, "inf"/"-inf" when
// unbounded.
nlohmann::json json_number(std::optional<double> value);

// Every field of `metrics`, with json_number's encoding, times as ISO-8601.
nlohmann::json to_json(const PerformanceMetrics& metrics);

}  // namespace gauntlet::validation
