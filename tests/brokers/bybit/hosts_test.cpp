// The hosts of each Bybit environment as ../shared/reference/bybit-v5.md lists them ("Hosts"),
// and one base URL serving every endpoint (the local Bybit).
#include "brokers/bybit/hosts.hpp"

#include <gtest/gtest.h>

namespace gauntlet::brokers::bybit {
namespace {

TEST(BybitHosts, EachEnvironmentHasTheReferencesHosts) {
  const BybitHosts mainnet = bybit_hosts("mainnet");
  EXPECT_EQ(mainnet.public_rest, "https://api.bybit.com");
  EXPECT_EQ(mainnet.public_ws_base, "wss://stream.bybit.com/v5/public");
  EXPECT_EQ(mainnet.private_rest, "https://api.bybit.com");
  EXPECT_EQ(mainnet.private_ws, "wss://stream.bybit.com/v5/private");
  const BybitHosts testnet = bybit_hosts("testnet");
  EXPECT_EQ(testnet.public_rest, "https://api-testnet.bybit.com");
  EXPECT_EQ(testnet.public_ws_base, "wss://stream-testnet.bybit.com/v5/public");
  EXPECT_EQ(testnet.private_rest, "https://api-testnet.bybit.com");
  EXPECT_EQ(testnet.private_ws, "wss://stream-testnet.bybit.com/v5/private");
  // Demo trading: private REST and stream on the demo hosts, market data from mainnet.
  const BybitHosts demo = bybit_hosts("demo");
  EXPECT_EQ(demo.public_rest, "https://api.bybit.com");
  EXPECT_EQ(demo.public_ws_base, "wss://stream.bybit.com/v5/public");
  EXPECT_EQ(demo.private_rest, "https://api-demo.bybit.com");
  EXPECT_EQ(demo.private_ws, "wss://stream-demo.bybit.com/v5/private");
}

TEST(BybitHosts, OneBaseUrlServesEveryEndpoint) {
  const BybitHosts local = bybit_hosts_at("http://127.0.0.1:9100/");
  EXPECT_EQ(local.public_rest, "http://127.0.0.1:9100");
  EXPECT_EQ(local.private_rest, "http://127.0.0.1:9100");
  EXPECT_EQ(local.public_ws_base, "ws://127.0.0.1:9100/v5/public");
  EXPECT_EQ(local.private_ws, "ws://127.0.0.1:9100/v5/private");
  EXPECT_EQ(bybit_hosts_at("https://venue.example:443").private_ws,
            "wss://venue.example:443/v5/private");
}

}  // namespace
}  // namespace gauntlet::brokers::bybit
