#include "ui/test_client.hpp"

#include <array>
#include <exception>
#include <functional>
#include <span>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "core/text.hpp"

namespace gauntlet::testing::ui {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using ErrorCode = beast::error_code;
using Clock = std::chrono::steady_clock;

// Runs `io` until `done` or `deadline`. At the deadline, cancels the socket's operations, waits
// for their handlers and returns false.
bool run_until(asio::io_context& io, tcp::socket& socket, const bool& done,
               Clock::time_point deadline) {
  io.restart();
  while (!done) {
    if (Clock::now() >= deadline) {
      ErrorCode ignored;
      socket.cancel(ignored);
      io.restart();
      while (!done) {
        if (io.run_one() == 0) break;
      }
      return false;
    }
    io.run_one_until(deadline);
  }
  return true;
}

bool connect(asio::io_context& io, tcp::socket& socket, unsigned short port,
             std::chrono::milliseconds timeout) {
  bool done = false;
  ErrorCode result;
  socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](ErrorCode error) {
    done = true;
    result = error;
  });
  return run_until(io, socket, done, Clock::now() + timeout) && !result;
}

// One read of up to `chunk.size()` bytes by `deadline` into `chunk`: false at the deadline,
// otherwise the read's error (end of stream, reset, or none) and size.
bool read_some(asio::io_context& io, tcp::socket& socket, std::span<char> chunk,
               Clock::time_point deadline, ErrorCode& result, std::size_t& size) {
  bool done = false;
  socket.async_read_some(asio::buffer(chunk.data(), chunk.size()),
                         [&](ErrorCode error, std::size_t n) {
                           done = true;
                           result = error;
                           size = n;
                         });
  return run_until(io, socket, done, deadline);
}

std::string to_std(beast::string_view text) {
  return {text.data(), text.size()};
}

}  // namespace

std::string Reply::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

std::vector<std::string> Reply::all(std::string_view lower_case_name) const {
  std::vector<std::string> values;
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) values.push_back(value);
  }
  return values;
}

nlohmann::json Reply::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

std::string Reply::error() const {
  const nlohmann::json value = json();
  if (!value.is_object() || !value.contains("error") || !value["error"].is_string()) return {};
  return value["error"].get<std::string>();
}

struct RawClient::State {
  explicit State(unsigned short port_number, std::chrono::milliseconds limit)
      : port(port_number), timeout(limit) {}
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  unsigned short port;
  std::chrono::milliseconds timeout;
};

RawClient::RawClient(unsigned short port, std::chrono::milliseconds timeout)
    : state_(std::make_unique<State>(port, timeout)) {
  connected_ = connect(state_->io, state_->socket, port, timeout);
}

RawClient::~RawClient() {
  ErrorCode ignored;
  state_->socket.close(ignored);
}

bool RawClient::write(std::string_view bytes) {
  bool done = false;
  ErrorCode result;
  asio::async_write(state_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](ErrorCode error, std::size_t) {
                      done = true;
                      result = error;
                    });
  return run_until(state_->io, state_->socket, done, Clock::now() + state_->timeout) && !result;
}

bool RawClient::send(std::string_view method, std::string_view target, const Headers& headers,
                     std::string_view body) {
  std::string text;
  text.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    has_host = has_host || to_lower(name) == "host";
    text.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_host)
    text.append("Host: 127.0.0.1:").append(std::to_string(state_->port)).append("\r\n");
  if (!body.empty() || method == "POST" || method == "DELETE") {
    text.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  text.append("\r\n").append(body);
  return write(text);
}

std::optional<Reply> RawClient::read_reply() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  parser.header_limit(64u << 10);
  bool done = false;
  ErrorCode result;
  http::async_read(state_->socket, state_->buffer, parser, [&](ErrorCode error, std::size_t) {
    done = true;
    result = error;
  });
  if (!run_until(state_->io, state_->socket, done, Clock::now() + state_->timeout) || result) {
    return std::nullopt;
  }
  const http::response<http::string_body>& message = parser.get();
  Reply reply;
  reply.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    reply.headers.emplace_back(to_lower(to_std(field.name_string())), to_std(field.value()));
  }
  reply.body = message.body();
  return reply;
}

std::string RawClient::read_until_closed(std::chrono::milliseconds timeout, bool* closed) {
  std::string received = beast::buffers_to_string(state_->buffer.data());
  state_->buffer.consume(state_->buffer.size());
  const Clock::time_point deadline = Clock::now() + timeout;
  std::array<char, 8192> chunk{};
  bool ended = false;
  while (!ended) {
    ErrorCode result;
    std::size_t size = 0;
    if (!read_some(state_->io, state_->socket, chunk, deadline, result, size)) break;
    received.append(chunk.data(), size);
    ended = static_cast<bool>(result);
  }
  if (closed != nullptr) *closed = ended;
  return received;
}

bool RawClient::wait_closed(std::chrono::milliseconds timeout) {
  if (state_->buffer.size() > 0) return false;
  std::array<char, 1024> chunk{};
  ErrorCode result;
  std::size_t size = 0;
  if (!read_some(state_->io, state_->socket, chunk, Clock::now() + timeout, result, size))
    return false;
  return size == 0 && result;
}

void RawClient::shutdown_send() {
  ErrorCode ignored;
  state_->socket.shutdown(tcp::socket::shutdown_send, ignored);
}

void RawClient::reset() {
  ErrorCode ignored;
  state_->socket.set_option(asio::socket_base::linger(true, 0), ignored);
  state_->socket.close(ignored);
}

Reply request(unsigned short port, std::string_view method, std::string_view target,
              const Headers& headers, std::string_view body) {
  RawClient client(port);
  if (!client.connected() || !client.send(method, target, headers, body)) return {};
  return client.read_reply().value_or(Reply{});
}

struct WsClient::State {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;
  std::deque<std::string> frames;
  bool reading = false;
  bool closed = false;

  void read_next() {
    reading = true;
    ws.async_read(buffer, [this](ErrorCode error, std::size_t) {
      reading = false;
      if (error) {
        closed = true;
        return;
      }
      frames.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      read_next();
    });
  }

  // Runs the loop until `ready()` or `deadline`; the pending read stays pending.
  void run_until_ready(const std::function<bool()>& ready, Clock::time_point deadline) {
    io.restart();
    while (!ready() && Clock::now() < deadline) {
      if (io.run_one_until(deadline) == 0 && io.stopped()) break;
    }
  }
};

WsClient::WsClient(unsigned short port, const Headers& headers, std::string_view target)
    : state_(std::make_unique<State>()) {
  constexpr std::chrono::milliseconds kTimeout(5000);
  if (!connect(state_->io, state_->ws.next_layer(), port, kTimeout)) return;
  state_->ws.set_option(
      websocket::stream_base::decorator([headers](websocket::request_type& request) {
        for (const auto& [name, value] : headers) request.set(name, value);
      }));
  websocket::response_type response;
  bool done = false;
  ErrorCode result;
  state_->ws.async_handshake(response, "127.0.0.1:" + std::to_string(port), std::string(target),
                             [&](ErrorCode error) {
                               done = true;
                               result = error;
                             });
  if (!run_until(state_->io, state_->ws.next_layer(), done, Clock::now() + kTimeout)) return;
  handshake_status_ = static_cast<int>(response.result_int());
  handshake_body_ = response.body();
  if (result) {
    if (handshake_status_ == 101) handshake_status_ = 0;
    return;
  }
  state_->read_next();
}

WsClient::~WsClient() {
  ErrorCode ignored;
  state_->ws.next_layer().close(ignored);
  try {
    state_->io.restart();
    state_->io.run();  // the pending read ends with an error
  } catch (const std::exception&) {
    // Nothing left to clean up: the State goes with its io_context.
  }
}

bool WsClient::open() const {
  return handshake_status_ == 101 && !state_->closed;
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (state_->frames.empty() && open()) {
    state_->run_until_ready([&] { return !state_->frames.empty() || state_->closed; },
                            Clock::now() + timeout);
  }
  if (state_->frames.empty()) return std::nullopt;
  std::string frame = std::move(state_->frames.front());
  state_->frames.pop_front();
  return frame;
}

std::vector<std::string> WsClient::read_for(std::chrono::milliseconds duration) {
  if (open()) state_->run_until_ready([] { return false; }, Clock::now() + duration);
  std::vector<std::string> frames(std::make_move_iterator(state_->frames.begin()),
                                  std::make_move_iterator(state_->frames.end()));
  state_->frames.clear();
  return frames;
}

bool WsClient::wait_closed(std::chrono::milliseconds timeout) {
  if (handshake_status_ != 101) return true;
  state_->run_until_ready([&] { return state_->closed; }, Clock::now() + timeout);
  state_->frames.clear();
  return state_->closed;
}

}  // namespace gauntlet::testing::ui
