// The local Bybit's private side (venues/bybit/exchange.hpp): Bybit's answers and the figures
// of fills, fees, margin, protection and funding, each derived by hand in the comments from the
// bars fed (slippage and impact are zero here, so a market order fills at the next open).
#include "venues/bybit/exchange.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "venues/bybit/exchange_fixture.hpp"

namespace gauntlet::venues::bybit {
namespace {

using nlohmann::json;

const brokers::bybit::ApiCredentials kKeys{"key-a", "secret-a"};
const Symbol kBtc = Symbol::parse("BTCUSDT");
// 2024-01-01 07:50 UTC: ten minutes before a funding time.
constexpr TimestampMs kStart = 1'704'095'400'000;

class ExchangeTest : public ::testing::Test {
 protected:
  ExchangeTest() : exchange(testing::hand_figure_options()) {
    exchange.add_account(kKeys, Decimal::from_int(10'000));
    listener = exchange.listen(kKeys.key, [this](const StreamMessage& m) { stream.push_back(m); });
    exchange.on_bar(Category::kLinear, kBtc, testing::venue_bar(kStart, 100, 100, 100, 100));
    exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(kStart, 100, 100, 100, 100));
  }

  Reply post(std::string_view path, json body) {
    return exchange.handle(kKeys.key, "POST", path, {}, body);
  }
  Reply get(std::string_view path, QueryParams query) {
    return exchange.handle(kKeys.key, "GET", path, query, json::object());
  }
  json position() {
    const Reply reply = get("/v5/position/list", {{"category", "linear"}, {"symbol", "BTCUSDT"}});
    EXPECT_EQ(reply.ret_code, 0) << reply.ret_msg;
    return reply.result.at("list").at(0);
  }
  json wallet() {
    const Reply reply = get("/v5/account/wallet-balance", {{"accountType", "UNIFIED"}});
    EXPECT_EQ(reply.ret_code, 0) << reply.ret_msg;
    return reply.result.at("list").at(0);
  }
  std::vector<std::string> topics() const {
    std::vector<std::string> names;
    for (const StreamMessage& m : stream) names.push_back(m.topic);
    return names;
  }

  Exchange exchange;
  std::vector<StreamMessage> stream;
  uint64_t listener = 0;
};

json market_buy(std::string link, std::string qty) {
  return {{"category", "linear"},  {"symbol", "BTCUSDT"}, {"side", "Buy"},
          {"orderType", "Market"}, {"qty", qty},          {"orderLinkId", link}};
}

TEST_F(ExchangeTest, AMarketOrderFillsAtTheNextOpenWithTakerFeeAndMargin) {
  const Reply created = post("/v5/order/create", market_buy("g-1", "1"));
  ASSERT_EQ(created.ret_code, 0) << created.ret_msg;
  EXPECT_EQ(created.result.at("orderLinkId"), "g-1");
  const std::string order_id = created.result.at("orderId");
  ASSERT_EQ(topics(), std::vector<std::string>{"order"});
  EXPECT_EQ(stream[0].data.at(0).at("orderStatus"), "New");

  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 101, 102, 100, 101.5));
  // Filled at the open 101; taker fee 101 x 0.00055 = 0.05555.
  const Reply fills = get("/v5/execution/list", {{"category", "linear"}, {"orderLinkId", "g-1"}});
  ASSERT_EQ(fills.result.at("list").size(), 1u);
  const json& fill = fills.result.at("list").at(0);
  EXPECT_EQ(fill.at("execPrice"), "101");
  EXPECT_EQ(fill.at("execQty"), "1");
  EXPECT_EQ(fill.at("execFee"), "0.05555");
  EXPECT_EQ(fill.at("execType"), "Trade");
  EXPECT_EQ(fill.at("isMaker"), false);
  EXPECT_EQ(fill.at("orderId"), order_id);

  const json order = get("/v5/order/realtime", {{"category", "linear"}, {"orderId", order_id}})
                         .result.at("list")
                         .at(0);
  EXPECT_EQ(order.at("orderStatus"), "Filled");
  EXPECT_EQ(order.at("cumExecQty"), "1");
  EXPECT_EQ(order.at("avgPrice"), "101");
  EXPECT_EQ(order.at("leavesQty"), "0");

  // Position 1 @ 101 marked at 101.5: +0.5; leverage 10: margin 10.1.
  const json held = position();
  EXPECT_EQ(held.at("side"), "Buy");
  EXPECT_EQ(held.at("size"), "1");
  EXPECT_EQ(held.at("avgPrice"), "101");
  EXPECT_EQ(held.at("unrealisedPnl"), "0.5");
  EXPECT_EQ(held.at("positionIM"), "10.1");
  EXPECT_EQ(held.at("cumRealisedPnl"), "-0.05555");

  // Wallet 10000 - 0.05555 = 9999.94445; equity + 0.5; available - 10.1 margin.
  const json account = wallet();
  EXPECT_EQ(account.at("totalWalletBalance"), "9999.94445");
  EXPECT_EQ(account.at("totalEquity"), "10000.44445");
  EXPECT_EQ(account.at("totalAvailableBalance"), "9989.84445");
  EXPECT_EQ(account.at("totalPerpUPL"), "0.5");
  EXPECT_EQ(account.at("coin").at(0).at("coin"), "USDT");
  EXPECT_EQ(account.at("coin").at(0).at("walletBalance"), "9999.94445");

  // The streams: order New, then execution, order Filled, position and wallet.
  EXPECT_EQ(topics(),
            (std::vector<std::string>{"order", "execution", "order", "position", "wallet"}));
  EXPECT_EQ(stream[1].data.at(0).at("category"), "linear");
  EXPECT_EQ(stream[2].data.at(0).at("orderStatus"), "Filled");
  EXPECT_EQ(stream[3].data.at(0).at("size"), "1");
}

TEST_F(ExchangeTest, ADuplicateOrderLinkIdIsRefusedAndNeverASecondOrder) {
  ASSERT_EQ(post("/v5/order/create", market_buy("dup", "1")).ret_code, 0);
  const Reply again = post("/v5/order/create", market_buy("dup", "1"));
  EXPECT_EQ(again.ret_code, 110072);
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 101, 102, 100, 101.5));
  EXPECT_EQ(position().at("size"), "1");
}

TEST_F(ExchangeTest, ALimitOrderFillsAsMakerWhenPriceTradesThrough) {
  const json limit = {{"category", "linear"},  {"symbol", "BTCUSDT"}, {"side", "Buy"},
                      {"orderType", "Limit"},  {"qty", "2"},          {"price", "99"},
                      {"orderLinkId", "lim-1"}};
  ASSERT_EQ(post("/v5/order/create", limit).ret_code, 0);
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 100, 100.5, 99.5, 100));
  EXPECT_EQ(get("/v5/order/realtime", {{"category", "linear"}}).result.at("list").size(), 1u)
      << "99 was not traded through (low 99.5)";
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + 2 * kMinuteMs, 100, 100, 98.5, 99.5));
  // Maker at the limit: fee 2 x 99 x 0.0002 = 0.0396.
  const json fill = get("/v5/execution/list", {{"category", "linear"}}).result.at("list").at(0);
  EXPECT_EQ(fill.at("execPrice"), "99");
  EXPECT_EQ(fill.at("execFee"), "0.0396");
  EXPECT_EQ(fill.at("isMaker"), true);
  EXPECT_TRUE(get("/v5/order/realtime", {{"category", "linear"}}).result.at("list").empty());
}

TEST_F(ExchangeTest, CancelClosesAnOpenOrderOnceThenSaysItDoesNotExist) {
  const json limit = {{"category", "linear"}, {"symbol", "BTCUSDT"}, {"side", "Buy"},
                      {"orderType", "Limit"}, {"qty", "1"},          {"price", "90"},
                      {"orderLinkId", "c-1"}};
  ASSERT_EQ(post("/v5/order/create", limit).ret_code, 0);
  const json cancel = {{"category", "linear"}, {"symbol", "BTCUSDT"}, {"orderLinkId", "c-1"}};
  const Reply cancelled = post("/v5/order/cancel", cancel);
  ASSERT_EQ(cancelled.ret_code, 0) << cancelled.ret_msg;
  EXPECT_EQ(post("/v5/order/cancel", cancel).ret_code, 110001);
  const json order = get("/v5/order/realtime", {{"category", "linear"}, {"orderLinkId", "c-1"}})
                         .result.at("list")
                         .at(0);
  EXPECT_EQ(order.at("orderStatus"), "Cancelled");
  EXPECT_EQ(order.at("cancelType"), "CancelByUser");
  EXPECT_TRUE(get("/v5/order/realtime", {{"category", "linear"}}).result.at("list").empty());
  EXPECT_EQ(get("/v5/order/realtime", {{"category", "linear"}, {"openOnly", "1"}})
                .result.at("list")
                .size(),
            1u);
}

TEST_F(ExchangeTest, AmendChangesPriceAndQuantityOfAnOpenOrder) {
  const json limit = {{"category", "linear"}, {"symbol", "BTCUSDT"}, {"side", "Buy"},
                      {"orderType", "Limit"}, {"qty", "1"},          {"price", "90"},
                      {"orderLinkId", "a-1"}};
  ASSERT_EQ(post("/v5/order/create", limit).ret_code, 0);
  const Reply amended = post("/v5/order/amend", {{"category", "linear"},
                                                 {"symbol", "BTCUSDT"},
                                                 {"orderLinkId", "a-1"},
                                                 {"qty", "3"},
                                                 {"price", "99.5"}});
  ASSERT_EQ(amended.ret_code, 0) << amended.ret_msg;
  const json order = get("/v5/order/realtime", {{"category", "linear"}}).result.at("list").at(0);
  EXPECT_EQ(order.at("qty"), "3");
  EXPECT_EQ(order.at("price"), "99.5");
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 100, 100, 99, 99.5));
  EXPECT_EQ(position().at("size"), "3");
}

TEST_F(ExchangeTest, PostOnlyThatWouldTakeIsCancelledAtOnce) {
  const json taker = {{"category", "linear"},      {"symbol", "BTCUSDT"},  {"side", "Buy"},
                      {"orderType", "Limit"},      {"qty", "1"},           {"price", "100.5"},
                      {"timeInForce", "PostOnly"}, {"orderLinkId", "po-1"}};
  ASSERT_EQ(post("/v5/order/create", taker).ret_code, 0);
  const json order = get("/v5/order/realtime", {{"category", "linear"}, {"orderLinkId", "po-1"}})
                         .result.at("list")
                         .at(0);
  EXPECT_EQ(order.at("orderStatus"), "Cancelled");
  EXPECT_EQ(order.at("rejectReason"), "EC_PostOnlyWillTakeLiquidity");
}

TEST_F(ExchangeTest, FillOrKillFillsWholeOrNothingAndImmediateOrCancelKeepsWhatItGets) {
  // The next bar trades 3 (max participation 1): a FOK for 5 is cancelled unfilled, an IOC
  // for 5 fills 3 and cancels 2, a FOK for 2 fills whole. Every limit is above the open: takers.
  const auto limit_buy = [](std::string link, std::string qty, std::string tif) {
    return json{{"category", "linear"}, {"symbol", "BTCUSDT"}, {"side", "Buy"},
                {"orderType", "Limit"}, {"qty", qty},          {"price", "100.5"},
                {"timeInForce", tif},   {"orderLinkId", link}};
  };
  ASSERT_EQ(post("/v5/order/create", limit_buy("fok-5", "5", "FOK")).ret_code, 0);
  Bar thin = testing::venue_bar(kStart + kMinuteMs, 100, 100, 100, 100);
  thin.volume = Decimal::from_int(3);
  exchange.on_bar(Category::kLinear, kBtc, thin);
  const auto order = [this](std::string link) {
    return get("/v5/order/realtime", {{"category", "linear"}, {"orderLinkId", link}})
        .result.at("list")
        .at(0);
  };
  EXPECT_EQ(order("fok-5").at("orderStatus"), "Cancelled");
  EXPECT_EQ(order("fok-5").at("rejectReason"), "EC_CancelForNoFullFill");
  EXPECT_EQ(order("fok-5").at("cumExecQty"), "0");
  EXPECT_EQ(position().at("size"), "0");

  ASSERT_EQ(post("/v5/order/create", limit_buy("ioc-5", "5", "IOC")).ret_code, 0);
  thin.open_time += kMinuteMs;
  exchange.on_bar(Category::kLinear, kBtc, thin);
  EXPECT_EQ(order("ioc-5").at("orderStatus"), "Cancelled");
  EXPECT_EQ(order("ioc-5").at("cumExecQty"), "3");
  EXPECT_EQ(position().at("size"), "3");

  ASSERT_EQ(post("/v5/order/create", limit_buy("fok-2", "2", "FOK")).ret_code, 0);
  thin.open_time += kMinuteMs;
  exchange.on_bar(Category::kLinear, kBtc, thin);
  EXPECT_EQ(order("fok-2").at("orderStatus"), "Filled");
  EXPECT_EQ(position().at("size"), "5");

  // A FOK whose price is not reached in its bar is cancelled too, not left waiting.
  json below = limit_buy("fok-low", "1", "FOK");
  below["price"] = "90";
  ASSERT_EQ(post("/v5/order/create", below).ret_code, 0);
  thin.open_time += kMinuteMs;
  exchange.on_bar(Category::kLinear, kBtc, thin);
  EXPECT_EQ(order("fok-low").at("orderStatus"), "Cancelled");
  EXPECT_EQ(position().at("size"), "5");
}

TEST_F(ExchangeTest, TradingStopOnThePositionClosesItAtTheStop) {
  ASSERT_EQ(post("/v5/order/create", market_buy("e-1", "1")).ret_code, 0);
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 101, 102, 100.5, 101.5));
  const json stop = {{"category", "linear"}, {"symbol", "BTCUSDT"}, {"tpslMode", "Full"},
                     {"positionIdx", 0},     {"stopLoss", "100"},   {"slTriggerBy", "MarkPrice"}};
  const Reply set = post("/v5/position/trading-stop", stop);
  ASSERT_EQ(set.ret_code, 0) << set.ret_msg;
  EXPECT_EQ(position().at("stopLoss"), "100");
  EXPECT_EQ(position().at("slTriggerBy"), "MarkPrice");
  EXPECT_EQ(post("/v5/position/trading-stop", stop).ret_code, 34040);
  // A stop above the mark of a long is refused.
  json above = stop;
  above["stopLoss"] = "102";
  EXPECT_EQ(post("/v5/position/trading-stop", above).ret_code, 10001);

  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + 2 * kMinuteMs, 101, 101, 99.5, 100.2));
  // Closed at 100: pnl (100 - 101) x 1 = -1, fee 100 x 0.00055 = 0.055; with the entry's
  // 0.05555: -1.11055.
  const json held = position();
  EXPECT_EQ(held.at("size"), "0");
  EXPECT_EQ(held.at("side"), "");
  EXPECT_EQ(held.at("cumRealisedPnl"), "-1.11055");
  const json exit = get("/v5/execution/list", {{"category", "linear"}}).result.at("list").at(0);
  EXPECT_EQ(exit.at("execPrice"), "100");
  EXPECT_EQ(exit.at("side"), "Sell");
  EXPECT_EQ(exit.at("createType"), "CreateByStopLoss");
  EXPECT_EQ(exit.at("closedSize"), "1");
  EXPECT_EQ(wallet().at("totalWalletBalance"), "9998.88945");
}

TEST_F(ExchangeTest, FundingIsAnExecutionOfItsOwn) {
  ASSERT_EQ(post("/v5/order/create", market_buy("f-1", "1")).ret_code, 0);
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 101, 102, 100.5, 101.5));
  // The next bar opens at 08:00 UTC: a long pays 0.0001 x 1 x 101.5 (the last close) = 0.01015.
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + 10 * kMinuteMs, 101.5, 102, 101, 101.5));
  const Reply funding =
      get("/v5/execution/list", {{"category", "linear"}, {"execType", "Funding"}});
  ASSERT_EQ(funding.result.at("list").size(), 1u);
  EXPECT_EQ(funding.result.at("list").at(0).at("execFee"), "0.01015");
  EXPECT_EQ(funding.result.at("list").at(0).at("execQty"), "1");
  // 10000 - 0.05555 - 0.01015
  EXPECT_EQ(wallet().at("totalWalletBalance"), "9999.9343");
}

TEST_F(ExchangeTest, LeverageSetsTheMarginOfTheNextEntry) {
  EXPECT_EQ(post("/v5/position/set-leverage", {{"category", "linear"},
                                               {"symbol", "BTCUSDT"},
                                               {"buyLeverage", "10"},
                                               {"sellLeverage", "10"}})
                .ret_code,
            110043);
  ASSERT_EQ(post("/v5/position/set-leverage", {{"category", "linear"},
                                               {"symbol", "BTCUSDT"},
                                               {"buyLeverage", "4"},
                                               {"sellLeverage", "4"}})
                .ret_code,
            0);
  ASSERT_EQ(post("/v5/order/create", market_buy("l-1", "2")).ret_code, 0);
  exchange.on_bar(Category::kLinear, kBtc,
                  testing::venue_bar(kStart + kMinuteMs, 101, 102, 100.5, 101.5));
  // 2 x 101 / 4 = 50.5
  EXPECT_EQ(position().at("positionIM"), "50.5");
  EXPECT_EQ(position().at("leverage"), "4");
}

TEST_F(ExchangeTest, SpotMarketBuySpendsTheQuoteAmountAndSellNeedsHoldings) {
  const json sell = {{"category", "spot"},
                     {"symbol", "BTCUSDT"},
                     {"side", "Sell"},
                     {"orderType", "Market"},
                     {"qty", "1"}};
  EXPECT_EQ(post("/v5/order/create", sell).ret_code, 170131);
  const json buy = {{"category", "spot"},    {"symbol", "BTCUSDT"}, {"side", "Buy"},
                    {"orderType", "Market"}, {"qty", "1000"},       {"orderLinkId", "s-1"}};
  ASSERT_EQ(post("/v5/order/create", buy).ret_code, 0);
  exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(kStart + kMinuteMs, 100, 101, 99, 100));
  // 1000 USDT at the last price 100 = 10 BTC, filled at the open 100; the fee, 0.1 %, is taken
  // in the coin bought, as Bybit does: 0.01 BTC, so 9.99 BTC held and 9000 USDT left.
  const json account = wallet();
  ASSERT_EQ(account.at("coin").size(), 2u);
  EXPECT_EQ(account.at("coin").at(0).at("walletBalance"), "9000");
  EXPECT_EQ(account.at("coin").at(1).at("coin"), "BTC");
  EXPECT_EQ(account.at("coin").at(1).at("walletBalance"), "9.99");
  EXPECT_EQ(account.at("totalEquity"), "9999");
  const json fill = get("/v5/execution/list", {{"category", "spot"}, {"orderLinkId", "s-1"}})
                        .result.at("list")
                        .at(0);
  EXPECT_EQ(fill.at("execQty"), "10");
  EXPECT_EQ(fill.at("execFee"), "0.01");
  EXPECT_EQ(fill.at("feeCurrency"), "BTC");
  EXPECT_EQ(fill.at("feeRate"), "0.001");
  const json order = get("/v5/order/realtime", {{"category", "spot"}, {"orderLinkId", "s-1"}})
                         .result.at("list")
                         .at(0);
  EXPECT_EQ(order.at("cumExecFee"), "0.01");
}

// The coin an open spot sell holds is locked: a second sell may take only the rest (Bybit's
// available balance), so two exits racing cannot sell more than the wallet held.
TEST_F(ExchangeTest, AnOpenSpotSellLocksItsCoin) {
  const json buy = {{"category", "spot"},    {"symbol", "BTCUSDT"}, {"side", "Buy"},
                    {"orderType", "Market"}, {"qty", "2"},          {"marketUnit", "baseCoin"}};
  ASSERT_EQ(post("/v5/order/create", buy).ret_code, 0);
  exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(kStart + kMinuteMs, 100, 101, 99, 100));
  // 1.998 BTC held (the 0.002 fee taken in the coin); a limit sell of 1.5 rests far above.
  const json resting = {{"category", "spot"},   {"symbol", "BTCUSDT"}, {"side", "Sell"},
                        {"orderType", "Limit"}, {"qty", "1.5"},        {"price", "200"}};
  ASSERT_EQ(post("/v5/order/create", resting).ret_code, 0);
  const json too_much = {{"category", "spot"},
                         {"symbol", "BTCUSDT"},
                         {"side", "Sell"},
                         {"orderType", "Market"},
                         {"qty", "0.5"}};
  EXPECT_EQ(post("/v5/order/create", too_much).ret_code, 170131);  // 0.498 is free
  json the_rest = too_much;
  the_rest["qty"] = "0.498";
  EXPECT_EQ(post("/v5/order/create", the_rest).ret_code, 0);
}

TEST_F(ExchangeTest, ASpotTakeProfitOrderTriggersWhenPriceRisesToIt) {
  const json buy = {{"category", "spot"},    {"symbol", "BTCUSDT"}, {"side", "Buy"},
                    {"orderType", "Market"}, {"qty", "2"},          {"marketUnit", "baseCoin"}};
  ASSERT_EQ(post("/v5/order/create", buy).ret_code, 0);
  exchange.on_bar(Category::kSpot, kBtc, testing::venue_bar(kStart + kMinuteMs, 100, 101, 99, 100));
  const json take_profit = {
      {"category", "spot"},         {"symbol", "BTCUSDT"},  {"side", "Sell"},
      {"orderType", "Market"},      {"qty", "1.998"},       {"triggerPrice", "105"},
      {"orderFilter", "tpslOrder"}, {"orderLinkId", "tp-1"}};
  ASSERT_EQ(post("/v5/order/create", take_profit).ret_code, 0);
  exchange.on_bar(Category::kSpot, kBtc,
                  testing::venue_bar(kStart + 2 * kMinuteMs, 100, 104, 98, 103));
  EXPECT_EQ(get("/v5/order/realtime", {{"category", "spot"}, {"orderLinkId", "tp-1"}})
                .result.at("list")
                .at(0)
                .at("orderStatus"),
            "Untriggered")
      << "104 has not reached 105; a falling market must not trigger it";
  exchange.on_bar(Category::kSpot, kBtc,
                  testing::venue_bar(kStart + 3 * kMinuteMs, 103, 106, 102, 105.5));
  const json fill = get("/v5/execution/list", {{"category", "spot"}, {"orderLinkId", "tp-1"}})
                        .result.at("list")
                        .at(0);
  EXPECT_EQ(fill.at("execPrice"), "105");
  EXPECT_EQ(fill.at("execQty"), "1.998");  // 2 bought, less the 0.002 BTC fee
  EXPECT_EQ(fill.at("feeCurrency"), "USDT");
}

TEST_F(ExchangeTest, BadRequestsGetBybitsCodes) {
  EXPECT_EQ(exchange.handle("nobody", "GET", "/v5/position/list", {}, json::object()).ret_code,
            10003);
  const Reply unknown = get("/v5/nothing/here", {});
  EXPECT_EQ(unknown.ret_code, 10017);
  EXPECT_EQ(unknown.http_status, 404);
  EXPECT_EQ(post("/v5/order/create", {{"category", "inverse"}}).ret_code, 10001);
  json bad_qty = market_buy("b-1", "-1");
  EXPECT_EQ(post("/v5/order/create", bad_qty).ret_code, 10001);
  bad_qty["qty"] = "not a number";
  EXPECT_EQ(post("/v5/order/create", bad_qty).ret_code, 10001);
  json long_id = market_buy(std::string(37, 'x'), "1");
  EXPECT_EQ(post("/v5/order/create", long_id).ret_code, 10001);
  EXPECT_EQ(post("/v5/order/create", market_buy("big", "1000000")).ret_code, 110007);
  EXPECT_EQ(get("/v5/account/wallet-balance", {{"accountType", "SPOT"}}).ret_code, 10001);
  EXPECT_EQ(get("/v5/position/list", {{"category", "linear"}}).ret_code, 10001);
  EXPECT_TRUE(stream.empty());
}

TEST_F(ExchangeTest, OrderListsPageWithACursorNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    const json limit = {{"category", "linear"},
                        {"symbol", "BTCUSDT"},
                        {"side", "Buy"},
                        {"orderType", "Limit"},
                        {"qty", "0.1"},
                        {"price", "90"},
                        {"orderLinkId", "p-" + std::to_string(i)}};
    ASSERT_EQ(post("/v5/order/create", limit).ret_code, 0);
  }
  const Reply first = get("/v5/order/realtime", {{"category", "linear"}, {"limit", "3"}});
  ASSERT_EQ(first.result.at("list").size(), 3u);
  EXPECT_EQ(first.result.at("list").at(0).at("orderLinkId"), "p-4");
  const std::string cursor = first.result.at("nextPageCursor");
  ASSERT_FALSE(cursor.empty());
  const Reply second =
      get("/v5/order/realtime", {{"category", "linear"}, {"limit", "3"}, {"cursor", cursor}});
  ASSERT_EQ(second.result.at("list").size(), 2u);
  EXPECT_EQ(second.result.at("list").at(1).at("orderLinkId"), "p-0");
  EXPECT_EQ(second.result.at("nextPageCursor"), "");
  const Reply all = post("/v5/order/cancel-all", {{"category", "linear"}, {"symbol", "BTCUSDT"}});
  EXPECT_EQ(all.result.at("list").size(), 5u);
  EXPECT_TRUE(get("/v5/order/realtime", {{"category", "linear"}}).result.at("list").empty());
}

}  // namespace
}  // namespace gauntlet::venues::bybit
