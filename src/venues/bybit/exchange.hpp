// File: venues/bybit/exchange.hpp
//
// Exchange: the private side of the local Bybit (`gauntlet venue bybit`): accounts, orders,
// executions, positions and wallets, answering Bybit V5's private REST calls in Bybit's exact
// shapes (../shared/reference/bybit-v5.md §5-§7) and producing the private WebSocket topics
// (`order`, `execution`, `position`, `wallet`, §8). The matching engine is the engine's own
// simulator, brokers::SimBroker (one per account, in unified-margin mode), so the local venue
// fills exactly as a paper session does: market orders at the next bar's open plus slippage,
// limit orders when price trades through, partial fills by bar volume, maker/taker fees,
// leverage, initial margin, liquidation, funding every 8 h, TP/SL on the position.
//
// What the venue adds to the simulator, as Bybit does:
//   - orders are validated at create (retCode at once; then the order's life on the streams);
//     a duplicate orderLinkId is 110072 (linear) / 170141 (spot) and never a second order;
//   - spot market buys take the quote amount by default (marketUnit=quoteCoin), converted at
//     the last price and floored to the qty step; marketUnit=baseCoin takes the base amount;
//   - PostOnly limit orders that would take are cancelled (EC_PostOnlyWillTakeLiquidity);
//     IOC limit orders keep what the next bar fills and cancel the rest, FOK orders fill whole
//     in that bar or are cancelled unfilled (the simulator's time-in-force rule);
//   - linear: leverage per symbol (position/set-leverage, default 10), TP/SL with the order or
//     on the position (position/trading-stop; 34040 when nothing changes), reduce-only;
//   - the wallet is one UNIFIED USDT wallet for spot and linear, spot holdings as coins.
// Times are the market's: the close of the last bar fed (on_bar), so a market order placed
// between bars fills at the next bar's open.
//
// Every handler takes the already authenticated API key (the server verifies signatures with
// brokers/bybit/signing.hpp) and returns a Reply; it never throws on client input.
//
// Threading: every public method locks the exchange's mutex, so the server's I/O thread and
// the market driver's thread may call it concurrently. Stream listeners are called with the
// mutex held: they must only queue what they get (the server posts it to its I/O thread).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/bybit/public_parse.hpp"
#include "brokers/bybit/signing.hpp"
#include "brokers/sim/sim_broker.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/decimal.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"

namespace gauntlet::venues::bybit {

using brokers::bybit::Category;

namespace internal {
struct OrderRecord;  // one order as Bybit reports it (exchange.cpp)
}  // namespace internal

// One Bybit answer: the envelope's retCode, retMsg and result, with the HTTP status.
struct Reply {
  int ret_code = 0;
  std::string ret_msg = "OK";
  nlohmann::json result = nlohmann::json::object();
  int http_status = 200;

  static Reply ok(nlohmann::json result) { return {0, "OK", std::move(result), 200}; }
  static Reply error(int code, std::string message) {
    return {code, std::move(message), nlohmann::json::object(), 200};
  }
};

// Query parameters of a GET, decoded.
using QueryParams = std::map<std::string, std::string, std::less<>>;

struct ExchangeOptions {
  std::array<config::FeeRates, 4> fees{};  // by Asset: spot and perp are used
  double slippage_bps = 2.0;
  double impact_bps = 50.0;
  double max_participation = 0.10;
  double maintenance_margin = 0.005;
  double default_funding_rate = 0.0001;
  double default_leverage = 10;
  double max_leverage = 100;
  // The instruments' rules (tick, qty step, minimums); unset, nothing is enforced.
  brokers::InstrumentLookup instruments;
};

// A private stream message: the topic ("order", "execution", "position", "wallet") and its
// `data` array, for the accounts that listen.
struct StreamMessage {
  std::string topic;
  nlohmann::json data;
  TimestampMs creation_time = 0;
};

class Exchange {
 public:
  using Listener = std::function<void(const StreamMessage& message)>;

  explicit Exchange(ExchangeOptions options = {});
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // --- accounts ---
  // Opens an account with `usdt` in its unified wallet, at the market's last bars; an existing
  // key keeps its account.
  void add_account(const brokers::bybit::ApiCredentials& credentials, Decimal usdt);
  // The secret of an API key, for the server's signature check.
  std::optional<std::string> secret_of(std::string_view api_key) const;
  std::vector<std::string> api_keys() const;

  // --- market ---
  // A closed bar of a symbol: every account's orders, protection, liquidation and funding
  // meet it, IOC/FOK remainders are cancelled, and the market time moves to its close.
  void on_bar(Category category, const Symbol& symbol, const Bar& bar);
  // The market time: the close of the last bar fed, 0 before the first.
  TimestampMs now() const;

  // --- private REST ---
  // Answers `method` `path` ("/v5/order/create" ...) for the account of `api_key`, with the
  // GET's query parameters or the POST's JSON body. An unknown path is retCode 10017 with
  // HTTP 404; a path of the wrong method, 10017 too.
  Reply handle(std::string_view api_key, std::string_view method, std::string_view path,
               const QueryParams& query, const nlohmann::json& body);

  // --- private stream ---
  // Calls `listener` with every message of the account's topics from now on; returns an id
  // for unlisten().
  uint64_t listen(std::string_view api_key, Listener listener);
  void unlisten(uint64_t id);

 private:
  struct Account;
  Account* find(std::string_view api_key);
  const Account* find(std::string_view api_key) const;
  internal::OrderRecord* find_order(Account& account, const nlohmann::json& body);
  // The open order of the category the body names (by orderId or orderLinkId), or Bybit's
  // refusal to `action` ("cancel", "replace") it.
  std::optional<Reply> find_open_order(Account& account, const nlohmann::json& body,
                                       std::string_view action, internal::OrderRecord*& order);
  // Dispatches what the account's simulator published and sends the resulting stream
  // messages (order and execution, then position and wallet).
  void drain(Account& account);
  void publish(Account& account, StreamMessage message);
  nlohmann::json position_json(const Account& account, const Symbol& symbol, bool stream) const;
  nlohmann::json wallet_json(const Account& account, const std::set<std::string>& coins) const;

  Reply create_order(Account& account, const nlohmann::json& body);
  Reply amend_order(Account& account, const nlohmann::json& body);
  Reply cancel_order(Account& account, const nlohmann::json& body);
  Reply cancel_all(Account& account, const nlohmann::json& body);
  Reply orders(Account& account, const QueryParams& query, bool history);
  Reply executions(Account& account, const QueryParams& query);
  Reply positions(Account& account, const QueryParams& query);
  Reply set_leverage(Account& account, const nlohmann::json& body);
  Reply trading_stop(Account& account, const nlohmann::json& body);
  Reply switch_mode(Account& account, const nlohmann::json& body);
  Reply wallet_balance(Account& account, const QueryParams& query);
  Reply fee_rate(Account& account, const QueryParams& query);
  Reply account_info(Account& account);
  Reply api_info(Account& account);

  mutable std::mutex mutex_;
  ExchangeOptions options_;
  std::map<std::string, std::unique_ptr<Account>, std::less<>> accounts_;
  struct ListenerEntry {
    std::string api_key;
    Listener listener;
  };
  std::map<uint64_t, ListenerEntry> listeners_;
  uint64_t next_listener_ = 1;
  SimClock clock_;  // the simulators' clock: the market time
  TimestampMs market_time_ = 0;
  std::map<std::pair<Asset, std::string>, Bar> last_bar_;  // symbols traded here, their last bar
};

}  // namespace gauntlet::venues::bybit
