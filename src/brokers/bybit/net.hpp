// File: brokers/bybit/net.hpp
//
// Connection steps the REST and WebSocket clients share: resolving a host within a deadline
// (Asio's resolver has no timeout of its own) and naming the TLS peer (SNI and host-name
// verification). Included only by the clients' .cpp files, after Beast.
//
// Threading: coroutines on the caller's executor.
#pragma once

#include <chrono>
#include <string>

#include "brokers/bybit/rest_client.hpp"
#include "core/asio.hpp"

struct ssl_st;  // OpenSSL's SSL

namespace gauntlet::brokers::bybit {

// The addresses of endpoint.host:endpoint.port. Throws boost::system::system_error with
// boost::beast::error::timeout when `timeout` passes first, and what Asio reports otherwise.
asio::awaitable<asio::ip::tcp::resolver::results_type> resolve_async(
    const Endpoint& endpoint, std::chrono::milliseconds timeout);

// Sets SNI and certificate host-name verification for `host`; BrokerError (not retryable)
// when OpenSSL refuses.
void set_tls_host(ssl_st* ssl, const std::string& host);

}  // namespace gauntlet::brokers::bybit
