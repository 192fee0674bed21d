#include "validation/performance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/exceptions.hpp"

namespace gauntlet::validation {
namespace {

std::string series_name(Asset asset, const Symbol& symbol) {
  return fmt::format("{}/{}", to_string(asset), symbol.canonical());
}

double side_sign(OrderSide side) {
  return side == OrderSide::kBuy ? 1.0 : -1.0;
}

// The part of the round trip's fees paid at entry: pro rata to the entry's notional.
double entry_fee(const orders::ClosedTrade& t) {
  const double entry = t.entry_price.to_double() * t.quantity.to_double();
  const double exit = t.exit_price.to_double() * t.quantity.to_double();
  const double total = std::abs(entry) + std::abs(exit);
  return total > 0 ? t.fees.to_double() * std::abs(entry) / total : 0.0;
}

}  // namespace

double periods_per_year(Asset asset, DurationMs period) {
  if (period <= 0) throw ArgumentError("periods_per_year: the period must be positive");
  const double days = asset == Asset::kSpot || asset == Asset::kPerp ? 365.0 : 260.0;
  return days * static_cast<double>(kDayMs) / static_cast<double>(period);
}

PriceHistory PriceHistory::load(const data::BarStore& store,
                                std::span<const orders::ClosedTrade> trades, TimestampMs from,
                                TimestampMs to) {
  std::set<std::pair<Asset, std::string>> wanted;
  for (const orders::ClosedTrade& t : trades) wanted.insert({t.asset, t.symbol.canonical()});
  // The finest stored series of each traded symbol.
  std::map<std::pair<Asset, std::string>, data::SeriesKey> finest;
  for (const data::SeriesKey& key : store.list()) {
    const std::pair<Asset, std::string> id{key.domain, key.symbol.canonical()};
    if (!wanted.contains(id)) continue;
    const auto found = finest.find(id);
    if (found == finest.end() ||
        duration_ms(key.timeframe) < duration_ms(found->second.timeframe)) {
      finest[id] = key;
    }
  }
  PriceHistory prices;
  for (const auto& [id, key] : finest) {
    const data::BarSeries bars = store.load_bars(key, from - kDayMs, to);
    const DurationMs step = duration_ms(key.timeframe);
    Series& s = prices.series_[series_name(key.domain, key.symbol)];
    s.times.reserve(bars.size());
    s.closes.reserve(bars.size());
    const std::span<const int64_t> open_times = bars.open_time();
    const std::span<const int64_t> closes = bars.column(data::BarSeries::kClose);
    for (std::size_t i = 0; i < bars.size(); ++i) {  // a stored series: ascending open times
      s.times.push_back(open_times[i] + step);
      s.closes.push_back(Decimal::from_raw(closes[i]).to_double());
    }
  }
  return prices;
}

void PriceHistory::add(Asset asset, const Symbol& symbol, TimestampMs close_time, double close) {
  Series& s = series_[series_name(asset, symbol)];
  if (!s.times.empty() && close_time <= s.times.back()) {
    throw ArgumentError(fmt::format("PriceHistory: {} closes out of order", symbol.canonical()));
  }
  s.times.push_back(close_time);
  s.closes.push_back(close);
}

std::optional<double> PriceHistory::close_at(Asset asset, const Symbol& symbol,
                                             TimestampMs time) const {
  const auto found = series_.find(series_name(asset, symbol));
  if (found == series_.end()) return std::nullopt;
  const Series& s = found->second;
  const auto after = std::upper_bound(s.times.begin(), s.times.end(), time);
  if (after == s.times.begin()) return std::nullopt;
  return s.closes[static_cast<std::size_t>(after - s.times.begin()) - 1];
}

std::vector<EquityPoint> equity_curve(std::span<const orders::ClosedTrade> trades,
                                      const PriceHistory& prices, TimestampMs from, TimestampMs to,
                                      DurationMs period, double starting_equity) {
  if (to <= from) throw ArgumentError("equity_curve: the window must end after it begins");
  if (period <= 0) throw ArgumentError("equity_curve: the period must be positive");
  if (!(starting_equity > 0)) throw ArgumentError("equity_curve: starting equity must be > 0");
  std::vector<const orders::ClosedTrade*> by_exit;
  for (const orders::ClosedTrade& t : trades) by_exit.push_back(&t);
  std::sort(by_exit.begin(), by_exit.end(), [](const auto* a, const auto* b) {
    return a->exit_time < b->exit_time ||
           (a->exit_time == b->exit_time && a->sequence < b->sequence);
  });
  std::vector<EquityPoint> curve;
  curve.push_back({from, starting_equity});
  double realized = 0;
  std::size_t next_exit = 0;
  for (TimestampMs t = from + period; t <= to; t += period) {
    while (next_exit < by_exit.size() && by_exit[next_exit]->exit_time <= t) {
      realized += by_exit[next_exit]->realized_pnl.to_double();
      ++next_exit;
    }
    double open = 0;
    for (std::size_t i = next_exit; i < by_exit.size(); ++i) {
      const orders::ClosedTrade& trade = *by_exit[i];
      if (trade.entry_time > t) continue;
      const double entry = trade.entry_price.to_double();
      const double close = prices.close_at(trade.asset, trade.symbol, t).value_or(entry);
      open +=
          side_sign(trade.side) * trade.quantity.to_double() * (close - entry) - entry_fee(trade);
    }
    curve.push_back({t, starting_equity + realized + open});
  }
  return curve;
}

std::vector<double> period_returns(std::span<const EquityPoint> curve) {
  std::vector<double> returns;
  for (std::size_t i = 1; i < curve.size(); ++i) {
    const double before = curve[i - 1].equity;
    returns.push_back(before > 0 ? curve[i].equity / before - 1.0 : -1.0);
  }
  return returns;
}

PerformanceMetrics evaluate(std::span<const orders::ClosedTrade> trades, const PriceHistory& prices,
                            Asset asset, TimestampMs from, TimestampMs to, DurationMs period,
                            double starting_equity, std::vector<EquityPoint>* curve_out,
                            std::vector<double>* returns_out) {
  PerformanceMetrics m;
  m.from = from;
  m.to = to;
  m.periods_per_year = periods_per_year(asset, period);
  m.starting_equity = starting_equity;
  const std::vector<EquityPoint> curve =
      equity_curve(trades, prices, from, to, period, starting_equity);
  const std::vector<double> returns = period_returns(curve);
  m.periods = returns.size();
  m.final_equity = curve.back().equity;
  m.total_return = m.final_equity / starting_equity - 1.0;

  std::vector<double> pnl;
  std::vector<Interval> held;
  double notional = 0;
  for (const orders::ClosedTrade& t : trades) {
    pnl.push_back(t.realized_pnl.to_double());
    m.total_pnl += pnl.back();
    m.fees += t.fees.to_double();
    held.push_back({t.entry_time, std::max(t.entry_time, t.exit_time)});
    notional += std::abs(t.quantity.to_double()) *
                (std::abs(t.entry_price.to_double()) + std::abs(t.exit_price.to_double()));
  }
  m.trades = trade_statistics(pnl);
  m.sharpe = sharpe_ratio(returns, m.periods_per_year);
  m.sharpe_per_period = sharpe_per_period(returns);
  m.sortino = sortino_ratio(returns, m.periods_per_year);
  m.max_drawdown = max_drawdown(returns);
  m.cvar_95 = cvar_95(returns);
  m.cagr = cagr(returns, m.periods_per_year);
  m.calmar = calmar_ratio(returns, m.periods_per_year);
  m.skew = skewness(returns);
  m.kurtosis = kurtosis(returns);
  m.psr = probabilistic_sharpe_ratio(returns);

  // Lo's check: Sharpe from daily returns (the curve at each whole day).
  std::vector<EquityPoint> daily;
  for (const EquityPoint& p : curve) {
    if (p.time == from || p.time % kDayMs == 0) daily.push_back(p);
  }
  const std::vector<double> daily_returns = period_returns(daily);
  m.daily_sharpe = sharpe_ratio(daily_returns, periods_per_year(asset, kDayMs));

  m.exposure = exposure(held, from, to);
  double equity_sum = 0;
  for (const EquityPoint& p : curve) equity_sum += p.equity;
  const double average_equity = equity_sum / static_cast<double>(curve.size());
  const double years = static_cast<double>(to - from) / (365.0 * static_cast<double>(kDayMs));
  m.turnover = average_equity > 0 ? turnover(notional, average_equity, years) : 0.0;
  if (curve_out) *curve_out = curve;
  if (returns_out) *returns_out = returns;
  return m;
}

nlohmann::json json_number(std::optional<double> value) {
  if (!value || std::isnan(*value)) return nullptr;
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  return *value;
}

nlohmann::json to_json(const PerformanceMetrics& m) {
  return {
      {"from", format_iso8601(m.from)},
      {"to", format_iso8601(m.to)},
      {"periods", m.periods},
      {"periods_per_year", m.periods_per_year},
      {"starting_equity", m.starting_equity},
      {"final_equity", m.final_equity},
      {"total_return", m.total_return},
      {"total_pnl", m.total_pnl},
      {"fees", m.fees},
      {"n_trades", m.trades.n_trades},
      {"profit_factor", json_number(m.trades.profit_factor)},
      {"win_rate", json_number(m.trades.win_rate)},
      {"expectancy", json_number(m.trades.expectancy)},
      {"payoff", json_number(m.trades.payoff)},
      {"sharpe", json_number(m.sharpe)},
      {"sharpe_per_period", json_number(m.sharpe_per_period)},
      {"daily_sharpe", json_number(m.daily_sharpe)},
      {"sortino", json_number(m.sortino)},
      {"max_drawdown", m.max_drawdown},
      {"cvar_95", json_number(m.cvar_95)},
      {"cagr", json_number(m.cagr)},
      {"calmar", json_number(m.calmar)},
      {"skew", json_number(m.skew)},
      {"kurtosis", json_number(m.kurtosis)},
      {"psr", json_number(m.psr)},
      {"exposure", m.exposure},
      {"turnover", m.turnover},
  };
}

}  // namespace gauntlet::validation
