#include "venues/bybit/local_bybit.hpp"

#include <utility>

#include "venues/bybit/private_api.hpp"

namespace gauntlet::venues::bybit {
namespace {

ExchangeOptions with_instruments(ExchangeOptions options,
                                 std::vector<data::InstrumentInfo> instruments) {
  options.instruments = [instruments = std::move(instruments)](Asset asset, const Symbol& symbol) {
    for (const data::InstrumentInfo& info : instruments) {
      if (info.domain == asset && info.symbol == symbol) return info;
    }
    return data::InstrumentInfo{};
  };
  return options;
}

}  // namespace

LocalBybit::LocalBybit(const VenueServerOptions& server, const MarketDriverOptions& market,
                       ExchangeOptions exchange)
    : server_(server),
      market_(server_, market),
      exchange_(with_instruments(std::move(exchange), market_.instruments())) {
  for (const auto& last : market_.last_bars())
    exchange_.on_bar(last.category, last.symbol, last.bar);
  market_.add_bar_listener([this](Category category, const Symbol& symbol, const Bar& bar) {
    exchange_.on_bar(category, symbol, bar);
  });
  server_.set_private_api(ExchangeApi::create(exchange_));
}

LocalBybit::~LocalBybit() {
  market_.stop();
  // No new private session, then none left: their listeners are gone before the Exchange.
  server_.set_private_api(nullptr);
  server_.drop_connections();
}

}  // namespace gauntlet::venues::bybit
