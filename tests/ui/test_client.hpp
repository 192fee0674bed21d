// File: tests/ui/test_client.hpp
//
// Loopback clients for the HttpServer tests, on Boost.Beast, each with its own io_context run
// only inside its calls, so a client that is not called reads nothing (a slow consumer):
//   RawClient  one TCP connection: writes any bytes, reads HTTP responses or raw bytes,
//              half-closes, resets; every call waits at most its timeout.
//   request()  one HTTP request on a fresh connection.
//   WsClient   a WebSocket client: the handshake's HTTP status, then text frames.
//
// Threading: a client belongs to the thread that uses it.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ui/api_auth.hpp"

namespace gauntlet::testing::ui {

// The authentication options of a test server on `state_dir`.
inline gauntlet::ui::ApiAuthOptions auth_options(std::filesystem::path state_dir,
                                                 bool public_read = false) {
  gauntlet::ui::ApiAuthOptions options;
  options.state_dir = std::move(state_dir);
  options.public_read = public_read;
  return options;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Reply {
  int status = 0;
  Headers headers;  // names in lower case, in order
  std::string body;

  // The first header `lower_case_name`, "" when absent.
  std::string header(std::string_view lower_case_name) const;
  std::vector<std::string> all(std::string_view lower_case_name) const;
  nlohmann::json json() const;
  // The "error" field of a JSON error body, "" when there is none.
  std::string error() const;
};

class RawClient {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it worked.
  explicit RawClient(unsigned short port,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  // Writes every byte; false on an error or the timeout.
  bool write(std::string_view bytes);
  // Writes `method target` with the headers (Host added) and body.
  bool send(std::string_view method, std::string_view target, const Headers& headers = {},
            std::string_view body = {});
  // Reads one HTTP response; std::nullopt on an error, end of stream or the timeout.
  std::optional<Reply> read_reply();
  // Reads until the server closes the connection or `timeout`; returns what came.
  std::string read_until_closed(std::chrono::milliseconds timeout, bool* closed = nullptr);
  // Whether the server closes (end of stream or reset) within `timeout` without sending more.
  bool wait_closed(std::chrono::milliseconds timeout);
  void shutdown_send();
  // Closes with a TCP reset.
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
  bool connected_ = false;
};

// `method target` on a fresh connection; status 0 when no response came.
Reply request(unsigned short port, std::string_view method, std::string_view target,
              const Headers& headers = {}, std::string_view body = {});

class WsClient {
 public:
  // Connects to 127.0.0.1:port and sends the upgrade for `target` with `headers`.
  WsClient(unsigned short port, const Headers& headers = {}, std::string_view target = "/ws");
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // 101 when the upgrade succeeded, else the HTTP status of the refusal (0: none).
  int handshake_status() const { return handshake_status_; }
  // The refusal's body.
  const std::string& handshake_body() const { return handshake_body_; }
  bool open() const;
  // The next text frame, waiting at most `timeout`; std::nullopt on timeout or close.
  std::optional<std::string> read(std::chrono::milliseconds timeout);
  // Every frame that arrives within `duration`.
  std::vector<std::string> read_for(std::chrono::milliseconds duration);
  // Whether the server closes the connection within `timeout` (frames meanwhile are dropped).
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
  int handshake_status_ = 0;
  std::string handshake_body_;
};

}  // namespace gauntlet::testing::ui
