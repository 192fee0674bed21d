// File: runtime/signal_flow.cpp
//
// From bars to trades (internal/runtime_impl.hpp): each closed bar goes to the paper venue and
// emulated protection (its base timeframe) and to the correlation windows (the primary); the
// strategies trading on paper are evaluated on the window of the last warm-up primary bars (a
// fresh instance each time, so a signal is a pure function of the closed bars); a closed 5m bar
// confirms the signals waiting; the scheduler picks the candidate that trades and
// trade_executor sends it through the order router. Also the time exits (max_holding_time),
// the protection invariant and the marked equity the risk ledger reads. The signals are the
// strategies', the sizing the risk manager's, the choice the scheduler's.
//
// Threading: the engine thread.
#include <fmt/format.h>

#include <algorithm>

#include "data/resampler.hpp"
#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {
namespace {

indicators::BarInput input_of(const Bar& bar) {
  return {bar.open.to_double(), bar.high.to_double(), bar.low.to_double(), bar.close.to_double(),
          bar.volume.to_double()};
}

}  // namespace

using internal::iso_minute;
using internal::log;

std::size_t warmup_bars(const strategies::Parameters& parameters) {
  double longest = 14;
  for (const char* name : {"fast", "slow", "period", "adx_period"}) {
    const auto found = parameters.find(name);
    if (found != parameters.end()) longest = std::max(longest, found->second);
  }
  return std::clamp<std::size_t>(static_cast<std::size_t>(longest) * 3 + 30, 60, 650);
}

std::string AppRuntime::Impl::market_key(Asset asset, const Symbol& symbol) {
  std::string key(to_string(asset));  // "<domain>/<symbol>", on every bar: no formatting
  key += '/';
  key += symbol.canonical();
  return key;
}

void AppRuntime::Impl::on_bar(const data::BarClosed& e) {
  const auto base =
      base_timeframe.find(std::pair<Asset, std::string_view>{e.domain, e.symbol.canonical()});
  if (base != base_timeframe.end() && e.timeframe == base->second) {
    broker->on_bar(e.domain, e.symbol, e.bar);
    // Emulated protection watches the same bars the paper venue fills on. Its exit is timed on
    // the engine's clock, the one its grace is measured on (a rehearsal's replayed bars carry
    // the market's time, hours behind the wall clock of a live session).
    router->sl_tp().on_range(e.domain, e.symbol, e.bar.low, e.bar.high, clock->now_ms());
    if (simulated) simulated_backlog.push_back(e);
  }
  if (e.timeframe == config.timeframes.primary) record_return(e.domain, e.symbol, e.bar.close);
  const auto m = markets.find(e.domain);
  if (m == markets.end() || !m->second.watched.contains(e.symbol.canonical())) return;
  if (e.timeframe == config.timeframes.primary) on_primary(m->second, e);
  if (e.timeframe == config.timeframes.confirm) on_confirm(m->second, e);
}

void AppRuntime::Impl::record_return(Asset domain, const Symbol& symbol, Decimal close) {
  for (const auto& [asset, m] : markets) {
    if (std::find(m.symbols.begin(), m.symbols.end(), symbol) == m.symbols.end()) continue;
    if (asset != domain) return;
    break;
  }
  const auto [previous, inserted] = last_primary_close.try_emplace(symbol.canonical(), close);
  if (inserted) return;
  if (previous->second.is_positive()) {
    exposure->record_return(symbol, close.to_double() / previous->second.to_double() - 1.0);
  }
  previous->second = close;
}

void AppRuntime::Impl::rebuild_returns() {
  const std::size_t window = static_cast<std::size_t>(config.exposure_caps.correlation_window_bars);
  for (auto& [asset, m] : markets) {
    for (const Symbol& symbol : m.symbols) {
      const data::BarSeries bars =
          m.manager->get_ohlc(symbol, config.timeframes.primary, window + 1);
      for (std::size_t i = 0; i < bars.size(); ++i) record_return(asset, symbol, bars.bar(i).close);
    }
  }
}

void AppRuntime::Impl::on_primary(AssetMarket& m, const data::BarClosed& e) {
  if (!toggles->enabled(m.asset)) return;  // no signals for an asset switched off
  ExploringList& list = exploring_lists[m.asset];
  if (list.version != registry->state_version()) {
    list.records = registry->get_for(m.asset);
    std::erase_if(list.records, [&](const strategies::StrategyRecord& r) {
      return !strategies::trades_on_paper(r.state) || !toggles->trades(m.asset, r);
    });
    list.version = registry->state_version();
  }
  const std::vector<strategies::StrategyRecord>& exploring = list.records;
  if (exploring.empty()) return;
  std::size_t longest = 0;
  std::vector<std::pair<const strategies::StrategyRecord*, const PreparedParameters*>> candidates;
  for (const strategies::StrategyRecord& record : exploring) {
    auto cached = parameters_by_id.find(record.id);
    if (cached == parameters_by_id.end()) {
      std::optional<PreparedParameters> prepared;
      if (auto parsed = learning::parse_params_json(record.params_json)) {
        const std::size_t warmup = warmup_bars(*parsed);
        prepared = PreparedParameters{std::move(*parsed), warmup};
      }
      cached = parameters_by_id.emplace(record.id, std::move(prepared)).first;
    }
    if (!cached->second) {
      log().warn("strategy {} has unreadable parameters {}", record.id, record.params_json);
      continue;
    }
    longest = std::max(longest, cached->second->warmup);
    candidates.emplace_back(&record, &*cached->second);
  }
  const std::string key = market_key(m.asset, e.symbol);
  PrimaryWindow& window = primary_windows[key];
  const DurationMs step = duration_ms(e.timeframe);
  if (options.lookahead_fault_bars == 0 && !window.inputs.empty() &&
      window.inputs.size() >= longest && e.bar.open_time == window.last_open + step) {
    window.inputs.push_back(input_of(e.bar));
    window.last_open = e.bar.open_time;
    while (window.inputs.size() > longest) window.inputs.pop_front();
  } else {
    window.inputs.clear();
    const data::BarSeries bars = options.lookahead_fault_bars > 0
                                     ? leaky_window(m, e, longest)
                                     : m.manager->get_ohlc(e.symbol, e.timeframe, longest);
    if (bars.empty()) return;
    if (options.lookahead_fault_bars == 0) {
      if (bars.bar(bars.size() - 1).open_time != e.bar.open_time) return;
      window.last_open = e.bar.open_time;
    }
    for (std::size_t i = 0; i < bars.size(); ++i) window.inputs.push_back(input_of(bars.bar(i)));
  }
  const std::deque<indicators::BarInput>& inputs = window.inputs;
  Pending fresh;
  fresh.primary_close = e.event_time;
  for (const auto& [record, parameters] : candidates) {
    const std::size_t need = parameters->warmup;
    if (inputs.size() < need) continue;
    std::unique_ptr<strategies::Strategy> strategy =
        strategies::make_strategy(record->family, parameters->values);
    std::optional<strategies::Signal> signal;
    for (std::size_t i = inputs.size() - need; i < inputs.size(); ++i)
      signal = strategy->on_primary_bar(inputs[i]);
    // A short the asset cannot hold (spot) is no opportunity: the risk manager would refuse it.
    if (!signal || !capital::RiskManager::can_open(m.asset, signal->side)) continue;
    if (options.on_signal) {
      options.on_signal({record->id, m.asset, e.symbol, e.event_time, signal->side,
                         signal->strength, signal->stop_loss, signal->take_profit});
    }
    strategies::SignalConfirmer confirmer;
    confirmer.propose(*signal);
    fresh.signals.emplace_back(record->id, std::move(confirmer));
  }
  if (fresh.signals.empty()) {
    pending.erase(key);
  } else {
    pending[key] = std::move(fresh);
  }
}

data::BarSeries AppRuntime::Impl::leaky_window(const AssetMarket& m, const data::BarClosed& e,
                                               std::size_t longest) const {
  const DurationMs step = duration_ms(e.timeframe);
  const TimestampMs end = e.bar.open_time + (options.lookahead_fault_bars + 1) * step;
  const TimestampMs begin = end - static_cast<DurationMs>(longest + 1) * step;
  const Timeframe base = base_timeframe.at({m.asset, e.symbol.canonical()});
  const data::BarSeries source = m.manager->load_bars(e.symbol, base, begin, end);
  const data::BarSeries resampled =
      base == e.timeframe ? source : data::resample(source, base, e.timeframe, end);
  std::vector<Bar> bars;
  for (std::size_t i = 0; i < resampled.size(); ++i) bars.push_back(resampled.bar(i));
  if (bars.size() > longest)
    bars.erase(bars.begin(), bars.end() - static_cast<std::ptrdiff_t>(longest));
  return data::BarSeries::from_bars(bars);
}

void AppRuntime::Impl::on_confirm(AssetMarket& m, const data::BarClosed& e) {
  const std::string key = market_key(m.asset, e.symbol);
  const auto found = pending.find(key);
  if (found == pending.end() || e.bar.open_time < found->second.primary_close) return;
  Pending waiting = std::move(found->second);
  pending.erase(found);
  std::vector<std::string> ids;
  std::map<std::string, strategies::Signal> confirmed;
  double strength = 0;
  for (auto& [id, confirmer] : waiting.signals) {
    const auto signal = confirmer.on_confirmation_bar(input_of(e.bar));
    if (!signal) continue;
    ids.push_back(id);
    strength = std::max(strength, signal->strength);
    confirmed.emplace(id, *signal);
  }
  if (ids.empty()) return;
  if (router->position(m.asset, e.symbol) || has_open_entry(m.asset, e.symbol)) return;
  // The exposure caps scale with the asset's allocation as it is now (its P&L compounds).
  exposure->set_allocation(m.asset, budget->get_alloc(m.asset));
  strategies::Opportunity opportunity;
  opportunity.asset = m.asset;
  opportunity.symbol = e.symbol;
  // The quotas' clock is the one OrderSubmitted stamps trades with (a replaying venue's bars may
  // lag the wall clock of a live session).
  opportunity.time = clock->now_ms();
  opportunity.signal_strength = strength;
  opportunity.candidate_ids = ids;
  const std::optional<std::string> chosen = scheduler->next_candidate(opportunity);
  if (!chosen) return;
  const strategies::Signal& signal = confirmed.at(*chosen);
  orders::TradeSignal trade;
  trade.asset = m.asset;
  trade.symbol = e.symbol;
  trade.side = signal.side;
  trade.reference_price = e.bar.close;
  trade.stop_loss = signal.stop_loss;
  trade.take_profit = signal.take_profit;
  trade.strategy_id = *chosen;
  trade.signal_id = fmt::format("{}@{}", e.symbol.canonical(), waiting.primary_close);
  asio::co_spawn(loop, executor->submit_trade_async(std::move(trade)),
                 [](std::exception_ptr error, const orders::TradeOutcome& outcome) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       log().error("trade failed: {}", e.what());
                     }
                     return;
                   }
                   if (!outcome.decision.ok)
                     log().debug("trade refused: {}", outcome.decision.reason);
                 });
}

bool AppRuntime::Impl::has_open_entry(Asset asset, const Symbol& symbol) const {
  for (const orders::JournalEntry& entry : router->journal().open_orders()) {
    if (entry.request.asset == asset && entry.request.symbol == symbol &&
        !entry.request.reduce_only)
      return true;
  }
  return false;
}

bool AppRuntime::Impl::has_open_exit(Asset asset, const Symbol& symbol) const {
  for (const orders::JournalEntry& entry : router->journal().open_orders()) {
    if (entry.request.asset == asset && entry.request.symbol == symbol && entry.request.reduce_only)
      return true;
  }
  return false;
}

void AppRuntime::Impl::exit_expired_positions(TimestampMs now) {
  for (const Position& p : router->positions()) {
    if (!capital::should_force_exit(p.opened_at, now, risk->limits(p.asset).max_holding_time))
      continue;
    if (has_open_exit(p.asset, p.symbol)) continue;
    log().info("max_holding_time: closing {} {} opened {}", to_string(p.asset),
               p.symbol.canonical(), iso_minute(p.opened_at));
    asio::co_spawn(loop, executor->close_position_async(p.asset, p.symbol, "max_holding_time"),
                   asio::detached);
  }
}

void AppRuntime::Impl::enforce_protection(TimestampMs now) {
  if (router->positions().empty()) return;
  if (!router->sl_tp().enforce(router->positions(), now, config.protection_grace).empty()) settle();
}

Decimal AppRuntime::Impl::marked_equity(Asset asset) const {
  Decimal equity = budget->get_alloc(asset);
  const auto m = markets.find(asset);
  if (m == markets.end()) return equity;
  for (const Position& p : router->positions()) {
    if (p.asset != asset) continue;
    const auto quote = m->second.manager->get_last_quote(p.symbol);
    if (!quote || !quote->last_price.is_positive()) continue;
    const Decimal move = quote->last_price - p.average_price;
    equity = equity + (p.side == OrderSide::kBuy ? move * p.quantity : -(move * p.quantity));
  }
  return equity;
}

}  // namespace gauntlet::runtime
