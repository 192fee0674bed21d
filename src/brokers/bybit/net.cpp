#include "brokers/bybit/net.hpp"

// Asio first (core/asio.hpp puts <utility> before it), then Beast.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/beast/core.hpp>
#include <memory>

#include "core/asio.hpp"
#include "core/exceptions.hpp"

namespace gauntlet::brokers::bybit {

asio::awaitable<asio::ip::tcp::resolver::results_type> resolve_async(
    const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  asio::steady_timer guard(executor);
  guard.expires_after(timeout);
  guard.async_wait([resolver](const boost::system::error_code& error) {
    if (!error) resolver->cancel();
  });
  try {
    auto addresses =
        co_await resolver->async_resolve(endpoint.host, endpoint.port, asio::use_awaitable);
    guard.cancel();
    co_return addresses;
  } catch (const boost::system::system_error& error) {
    guard.cancel();
    if (error.code() == asio::error::operation_aborted) {
      throw boost::system::system_error(boost::beast::error::timeout);
    }
    throw;
  }
}

void set_tls_host(ssl_st* ssl, const std::string& host) {
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
    throw BrokerError(fmt::format("bybit: cannot set TLS host name {}", host), kNetworkErrorCode,
                      false);
  }
}

}  // namespace gauntlet::brokers::bybit
