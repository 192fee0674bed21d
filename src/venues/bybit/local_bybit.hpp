// File: venues/bybit/local_bybit.hpp
//
// LocalBybit: the whole local Bybit of `gauntlet venue bybit` in one object, for the command and
// for the tests that rehearse a live session in process: the venue server (public and private
// REST and WebSocket), the market driver publishing to it, and the exchange matching one
// account per key on the driver's bars, wired as the venue runs them. The exchange's
// instruments are the driver's, and it starts from the last bar of the history window.
//
// Threading: as its parts. The driver's thread (start()) feeds the exchange; publish_next_minute()
// on the market from any thread does the same by hand. Destruction stops the driver, closes the
// private side, then drops the connections, so no listener outlives the exchange.
#pragma once

#include "brokers/bybit/signing.hpp"
#include "core/decimal.hpp"
#include "venues/bybit/exchange.hpp"
#include "venues/bybit/market_driver.hpp"
#include "venues/bybit/venue_server.hpp"

namespace gauntlet::venues::bybit {

class LocalBybit {
 public:
  // `exchange.instruments` is replaced by the driver's instruments.
  LocalBybit(const VenueServerOptions& server, const MarketDriverOptions& market,
             ExchangeOptions exchange);
  ~LocalBybit();
  LocalBybit(const LocalBybit&) = delete;
  LocalBybit& operator=(const LocalBybit&) = delete;

  VenueServer& server() { return server_; }
  MarketDriver& market() { return market_; }
  Exchange& exchange() { return exchange_; }
  // http://HOST:PORT, every endpoint's base.
  std::string base_url() const { return server_.rest_url(); }

 private:
  VenueServer server_;
  MarketDriver market_;
  Exchange exchange_;
};

}  // namespace gauntlet::venues::bybit
