#include "runtime/trade_log.hpp"

#include <fmt/format.h>

#include "core/exceptions.hpp"

namespace gauntlet::runtime {

TradeLog::TradeLog(std::filesystem::path path) : path_(std::move(path)) {}

std::string TradeLog::row(const orders::ClosedTrade& t) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}", t.strategy_id, to_string(t.asset),
                     t.symbol.canonical(), to_string(t.side), t.entry_time, t.exit_time,
                     t.entry_price.to_string(), t.exit_price.to_string(), t.quantity.to_string(),
                     t.stop_loss.to_string(), t.take_profit.to_string(), t.fees.to_string(),
                     t.realized_pnl.to_string(), t.exit_reason);
}

void TradeLog::open(const std::vector<orders::ClosedTrade>& trades) {
  out_.close();
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  const std::filesystem::path temporary = path_.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << kHeader << '\n';
    for (const orders::ClosedTrade& trade : trades) out << row(trade) << '\n';
    out.flush();
    if (!out) throw StateError(fmt::format("cannot write the trade log {}", temporary.string()));
  }
  std::filesystem::rename(temporary, path_);
  out_.open(path_, std::ios::app);
  if (!out_) throw StateError(fmt::format("cannot open the trade log {}", path_.string()));
}

void TradeLog::append(const orders::ClosedTrade& trade) {
  out_ << row(trade) << '\n';
  out_.flush();
}

}  // namespace gauntlet::runtime
