// File: brokers/bybit/hosts.hpp
//
// Where a Bybit environment lives (../shared/reference/bybit-v5.md, "Hosts"): the REST base URL,
// the public WebSocket base (a category's stream is <base>/<category>) and the private
// WebSocket, for mainnet, testnet and demo trading, or for one base URL that serves them all
// (the local Bybit, `gauntlet venue bybit`: http://HOST:PORT, ws://HOST:PORT/v5/...).
// Demo trading has no public market data of its own: its public streams and market endpoints
// are mainnet's, its private REST and WebSocket are the demo hosts.
//
// Threading: plain values.
#pragma once

#include <string>
#include <string_view>

namespace gauntlet::brokers::bybit {

struct BybitHosts {
  std::string public_rest;     // market data
  std::string public_ws_base;  // + "/spot" or "/linear"
  std::string private_rest;    // signed requests
  std::string private_ws;
};

// `environment` as the config names it (config bybit.environment): "testnet", "demo", otherwise
// mainnet.
inline BybitHosts bybit_hosts(std::string_view environment) {
  if (environment == "testnet") {
    return {"https://api-testnet.bybit.com", "wss://stream-testnet.bybit.com/v5/public",
            "https://api-testnet.bybit.com", "wss://stream-testnet.bybit.com/v5/private"};
  }
  if (environment == "demo") {
    return {"https://api.bybit.com", "wss://stream.bybit.com/v5/public",
            "https://api-demo.bybit.com", "wss://stream-demo.bybit.com/v5/private"};
  }
  return {"https://api.bybit.com", "wss://stream.bybit.com/v5/public", "https://api.bybit.com",
          "wss://stream.bybit.com/v5/private"};
}

// Every endpoint on one base URL (http:// or https://, no trailing slash needed).
inline BybitHosts bybit_hosts_at(std::string_view base_url) {
  std::string rest(base_url);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string ws = rest;
  if (ws.starts_with("https://")) {
    ws.replace(0, 5, "wss");
  } else if (ws.starts_with("http://")) {
    ws.replace(0, 4, "ws");
  }
  return {rest, ws + "/v5/public", rest, ws + "/v5/private"};
}

}  // namespace gauntlet::brokers::bybit
