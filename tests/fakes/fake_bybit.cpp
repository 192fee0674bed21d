#include "fakes/fake_bybit.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "core/exceptions.hpp"
#include "fakes/internal/rest_routes.hpp"
#include "fakes/internal/server_state.hpp"
#include "fakes/internal/wire.hpp"
#include "fakes/internal/ws_requests.hpp"

namespace gauntlet::testing::fakes {

std::string_view to_string(Category category) {
  return category == Category::kSpot ? "spot" : "linear";
}

namespace internal {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using ErrorCode = beast::error_code;

constexpr std::string_view kDefaultMalformedTopic = "kline.1.BTCUSDT";

std::string_view view(beast::string_view text) {
  return std::string_view(text.data(), text.size());
}

// Closes with RST instead of FIN, so the peer sees the connection die rather than end.
void reset(tcp::socket& socket) {
  ErrorCode ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// The category of a public WebSocket target ("/v5/public/linear", a query allowed).
std::optional<Category> category_of_ws_target(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/v5/public/spot") return Category::kSpot;
  if (path == "/v5/public/linear") return Category::kLinear;
  return std::nullopt;
}

}  // namespace

// One accepted TCP connection, as the server tracks it to close it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Resets the connection and forgets its subscriptions at once.
  virtual void close_abruptly() = 0;
};

class WsSession;

// A frame for the WS clients of a category: those subscribed to `topic`, or all of them when
// `topic` is empty.
struct Push {
  Category category = Category::kLinear;
  std::string topic;
  std::string frame;
};

// The listener, the I/O thread and the connections. Everything but the constructor,
// destructor, state(), port() and run_on_io() runs on the I/O thread.
class Server {
 public:
  Server();
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  ServerState& state() { return state_; }
  unsigned short port() const { return port_; }
  // Runs `task` on the I/O thread and returns when it has run (rethrowing what it threw).
  void run_on_io(const std::function<void()>& task);

  std::uint64_t next_connection_id() { return ++last_connection_id_; }
  void track(std::uint64_t id, std::weak_ptr<Connection> connection);
  void track_ws(std::uint64_t id, const std::shared_ptr<WsSession>& session);
  void untrack(std::uint64_t id);
  void push(Push push);
  void send_malformed(Category category, int count);
  void set_duplicate_pushes(bool enabled) { duplicate_pushes_ = enabled; }
  void set_out_of_order(bool enabled);
  void close_all();

 private:
  void run();
  void accept_next();
  void deliver(const Push& push);
  std::vector<std::shared_ptr<WsSession>> open_ws_sessions(Category category) const;

  ServerState state_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::map<std::uint64_t, std::weak_ptr<WsSession>> ws_sessions_;
  std::uint64_t last_connection_id_ = 0;
  bool duplicate_pushes_ = false;
  bool out_of_order_ = false;
  std::optional<Push> held_[kCategoryCount];
  int next_malformed_variant_ = 0;
  bool stopping_ = false;
  // Declared after what handlers touch, so that it is destroyed first.
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
};

// A connection until it upgrades to WebSocket: reads REST requests and answers them with
// answer_rest_request(), keeping the connection alive as HTTP/1.1 asks.
class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Server& server, tcp::socket socket, std::uint64_t id)
      : server_(server), socket_(std::move(socket)), id_(id) {}

  void start() { read_request(); }

  void close_abruptly() override {
    if (finished_) return;
    reset(socket_);
    finish();
  }

 private:
  void read_request() {
    request_ = {};
    http::async_read(
        socket_, buffer_, request_,
        [self = shared_from_this()](ErrorCode error, std::size_t) { self->on_request(error); });
  }

  void on_request(ErrorCode error) {
    if (error || finished_) return finish();
    const std::string_view target = view(request_.target());
    if (websocket::is_upgrade(request_)) {
      if (const std::optional<Category> category = category_of_ws_target(target)) {
        return upgrade(*category);
      }
      RestReply not_found;
      not_found.status = 404;
      not_found.content_type = "text/plain";
      not_found.body = "no WebSocket at " + std::string(target);
      return write(std::move(not_found));
    }
    RestReply reply = answer_rest_request(server_.state(), view(request_.method_string()), target);
    if (reply.never_answer) return swallow();
    write(std::move(reply));
  }

  void write(RestReply reply) {
    response_ = {};
    response_.version(request_.version());
    response_.result(reply.status);
    response_.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) response_.set(name, value);
    response_.body() = std::move(reply.body);
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(
        socket_, response_,
        [self = shared_from_this()](ErrorCode error, std::size_t) { self->on_written(error); });
  }

  void on_written(ErrorCode error) {
    if (error || finished_ || !response_.keep_alive()) return finish();
    read_request();
  }

  // A stalled request: reads and discards whatever comes until the peer or the server closes.
  void swallow() {
    socket_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](ErrorCode error, std::size_t) {
                              if (error || self->finished_) return self->finish();
                              self->swallow();
                            });
  }

  void upgrade(Category category);

  void finish() {
    if (finished_) return;
    finished_ = true;
    server_.untrack(id_);
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Server& server_;
  tcp::socket socket_;
  std::uint64_t id_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::array<char, 4096> discard_{};
  bool finished_ = false;
};

// A public WebSocket session on /v5/public/<category>: answers subscribe, unsubscribe and ping
// with answer_ws_message(), and writes the frames the server pushes, one write at a time.
class WsSession : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Server& server, tcp::socket socket, Category category, std::uint64_t id)
      : server_(server),
        ws_(std::move(socket)),
        category_(category),
        id_(id),
        conn_id_("fake-conn-" + std::to_string(id)) {}

  void start(http::request<http::string_body> upgrade_request) {
    upgrade_request_ = std::move(upgrade_request);
    ws_.async_accept(upgrade_request_,
                     [self = shared_from_this()](ErrorCode error) { self->on_accept(error); });
  }

  Category category() const { return category_; }
  bool is_open() const { return open_ && !finished_; }
  bool subscribed_to(const std::string& topic) const { return topics_.contains(topic); }
  // The topic malformed frames name: the first (sorted) the client subscribed to.
  std::string malformed_topic() const {
    return topics_.empty() ? std::string(kDefaultMalformedTopic) : *topics_.begin();
  }

  // Queues a text frame; discards it while the server is stalled.
  void send(std::string frame) {
    if (!is_open() || server_.state().stalled()) return;
    outbox_.push_back(std::move(frame));
    if (!writing_) write_next();
  }

  void close_abruptly() override {
    if (finished_) return;
    reset(ws_.next_layer());
    finish();
  }

 private:
  void on_accept(ErrorCode error) {
    if (error || finished_) return finish();
    open_ = true;
    server_.state().record_ws_opened();
    ws_.text(true);
    read_next();
  }

  void read_next() {
    ws_.async_read(buffer_, [self = shared_from_this()](ErrorCode error, std::size_t) {
      self->on_read(error);
    });
  }

  void on_read(ErrorCode error) {
    if (error || finished_) return finish();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    handle(text);
    read_next();
  }

  void handle(std::string_view text) {
    WsAnswer answer = answer_ws_message(category_, text, topics_, conn_id_);
    if (answer.is_ping) server_.state().record_ping();
    if (server_.state().stalled()) return;
    for (const std::string& topic : answer.subscribe) {
      if (topics_.insert(topic).second) server_.state().add_subscription(category_, topic);
    }
    for (const std::string& topic : answer.unsubscribe) {
      if (topics_.erase(topic) > 0) server_.state().remove_subscription(category_, topic);
    }
    if (answer.reply) send(std::move(*answer.reply));
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(
        asio::buffer(outbox_.front()),
        [self = shared_from_this()](ErrorCode error, std::size_t) { self->on_written(error); });
  }

  void on_written(ErrorCode error) {
    writing_ = false;
    if (error || finished_) return finish();
    outbox_.pop_front();
    if (!outbox_.empty()) write_next();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    for (const std::string& topic : topics_) server_.state().remove_subscription(category_, topic);
    topics_.clear();
    if (open_) server_.state().record_ws_closed();
    server_.untrack(id_);
    ErrorCode ignored;
    ws_.next_layer().close(ignored);
  }

  Server& server_;
  websocket::stream<tcp::socket> ws_;
  Category category_;
  std::uint64_t id_;
  std::string conn_id_;
  http::request<http::string_body> upgrade_request_;
  beast::flat_buffer buffer_;
  std::set<std::string> topics_;
  std::deque<std::string> outbox_;  // front() is being written while writing_
  bool writing_ = false;
  bool open_ = false;
  bool finished_ = false;
};

void HttpSession::upgrade(Category category) {
  // A handshake during a stall is never answered, like any request.
  if (server_.state().stalled()) return swallow();
  finished_ = true;
  server_.untrack(id_);
  auto session = std::make_shared<WsSession>(server_, std::move(socket_), category, id_);
  server_.track_ws(id_, session);
  session->start(std::move(request_));
}

Server::Server() : work_(asio::make_work_guard(io_)), acceptor_(io_) {
  try {
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  } catch (const boost::system::system_error& error) {
    throw GauntletError(std::string("fake Bybit cannot listen on 127.0.0.1: ") + error.what());
  }
  accept_next();
  thread_ = std::thread([this] { run(); });
}

Server::~Server() {
  run_on_io([this] {
    stopping_ = true;
    ErrorCode ignored;
    acceptor_.close(ignored);
    for (std::optional<Push>& held : held_) held.reset();
    close_all();
  });
  work_.reset();
  thread_.join();
}

void Server::run() {
  while (true) {
    try {
      io_.run();
      return;
    } catch (const std::exception& error) {
      // A bug of the fake, not of the client under test: say so and keep serving.
      std::fprintf(stderr, "fake Bybit: an I/O handler threw: %s\n", error.what());
    }
  }
}

void Server::run_on_io(const std::function<void()>& task) {
  if (std::this_thread::get_id() == thread_.get_id()) return task();
  std::promise<void> done;
  asio::post(io_, [&] {
    try {
      task();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
}

void Server::accept_next() {
  acceptor_.async_accept([this](ErrorCode error, tcp::socket socket) {
    if (stopping_) return;
    if (!error) {
      ErrorCode ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const std::uint64_t id = next_connection_id();
      auto session = std::make_shared<HttpSession>(*this, std::move(socket), id);
      track(id, session);
      session->start();
    }
    accept_next();
  });
}

void Server::track(std::uint64_t id, std::weak_ptr<Connection> connection) {
  connections_[id] = std::move(connection);
}

void Server::track_ws(std::uint64_t id, const std::shared_ptr<WsSession>& session) {
  connections_[id] = session;
  ws_sessions_[id] = session;
}

void Server::untrack(std::uint64_t id) {
  connections_.erase(id);
  ws_sessions_.erase(id);
}

std::vector<std::shared_ptr<WsSession>> Server::open_ws_sessions(Category category) const {
  std::vector<std::shared_ptr<WsSession>> sessions;
  for (const auto& [id, weak] : ws_sessions_) {
    std::shared_ptr<WsSession> session = weak.lock();
    if (session && session->is_open() && session->category() == category) {
      sessions.push_back(std::move(session));
    }
  }
  return sessions;
}

void Server::push(Push push) {
  std::optional<Push>& held = held_[index_of(push.category)];
  if (!out_of_order_) return deliver(push);
  if (!held) {
    held = std::move(push);
    return;
  }
  const Push earlier = std::move(*held);
  held.reset();
  deliver(push);
  deliver(earlier);
}

void Server::set_out_of_order(bool enabled) {
  out_of_order_ = enabled;
  if (enabled) return;
  for (std::optional<Push>& held : held_) {
    if (!held) continue;
    const Push released = std::move(*held);
    held.reset();
    deliver(released);
  }
}

void Server::deliver(const Push& push) {
  const int copies = duplicate_pushes_ ? 2 : 1;
  for (const std::shared_ptr<WsSession>& session : open_ws_sessions(push.category)) {
    if (!push.topic.empty() && !session->subscribed_to(push.topic)) continue;
    for (int copy = 0; copy < copies; ++copy) session->send(push.frame);
  }
}

void Server::send_malformed(Category category, int count) {
  const int first_variant = next_malformed_variant_;
  next_malformed_variant_ += std::max(count, 0);
  for (const std::shared_ptr<WsSession>& session : open_ws_sessions(category)) {
    const std::string topic = session->malformed_topic();
    for (int i = 0; i < count; ++i) session->send(malformed_ws_frame(first_variant + i, topic));
  }
}

void Server::close_all() {
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [id, weak] : connections_) {
    if (std::shared_ptr<Connection> connection = weak.lock()) open.push_back(std::move(connection));
  }
  for (const std::shared_ptr<Connection>& connection : open) connection->close_abruptly();
}

}  // namespace internal

FakeBybit::FakeBybit() : server_(std::make_unique<internal::Server>()) {}

FakeBybit::~FakeBybit() = default;

unsigned short FakeBybit::port() const {
  return server_->port();
}

std::string FakeBybit::rest_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::string FakeBybit::public_ws_url(Category category) const {
  return "ws://127.0.0.1:" + std::to_string(port()) + "/v5/public/" +
         std::string(to_string(category));
}

void FakeBybit::set_klines(Category category, const std::string& symbol, Timeframe timeframe,
                           std::vector<Bar> bars) {
  server_->state().set_klines(category, symbol, timeframe, std::move(bars));
}

void FakeBybit::add_kline(Category category, const std::string& symbol, Timeframe timeframe,
                          const Bar& bar) {
  server_->state().add_kline(category, symbol, timeframe, bar);
}

void FakeBybit::add_instrument(Category category, nlohmann::json instrument) {
  server_->state().add_instrument(category, std::move(instrument));
}

void FakeBybit::set_ticker(Category category, nlohmann::json ticker) {
  server_->state().set_ticker(category, std::move(ticker));
}

void FakeBybit::push_kline(Category category, const std::string& symbol, Timeframe timeframe,
                           const Bar& bar, bool confirm) {
  internal::Push push{category, internal::kline_topic(timeframe, symbol),
                      internal::kline_frame(timeframe, symbol, bar, confirm)};
  server_->run_on_io([&] { server_->push(std::move(push)); });
}

void FakeBybit::push_raw(Category category, std::string frame) {
  internal::Push push{category, "", std::move(frame)};
  server_->run_on_io([&] { server_->push(std::move(push)); });
}

void FakeBybit::fail_next_http(int count, int status) {
  server_->state().fail_next_http(count, status);
}

void FakeBybit::rate_limit_next_http(int count, std::chrono::milliseconds reset_after) {
  server_->state().rate_limit_next_http(count, reset_after.count());
}

void FakeBybit::drop_connections() {
  server_->run_on_io([&] { server_->close_all(); });
}

void FakeBybit::stall(std::chrono::milliseconds duration) {
  server_->state().stall_for(duration);
}

void FakeBybit::set_duplicate_pushes(bool enabled) {
  server_->run_on_io([&] { server_->set_duplicate_pushes(enabled); });
}

void FakeBybit::set_out_of_order(bool enabled) {
  server_->run_on_io([&] { server_->set_out_of_order(enabled); });
}

void FakeBybit::send_malformed(Category category, int count) {
  server_->run_on_io([&] { server_->send_malformed(category, count); });
}

void FakeBybit::set_malformed_http(int count) {
  server_->state().set_malformed_http(count);
}

int FakeBybit::http_requests() const {
  return server_->state().http_requests();
}

int FakeBybit::ws_connections() const {
  return server_->state().ws_connections();
}

int FakeBybit::open_ws_connections() const {
  return server_->state().open_ws_connections();
}

int FakeBybit::pings_received() const {
  return server_->state().pings_received();
}

std::vector<std::string> FakeBybit::subscriptions(Category category) const {
  return server_->state().subscriptions(category);
}

bool FakeBybit::wait_for_subscription(Category category, const std::string& topic,
                                      std::chrono::milliseconds timeout) {
  return server_->state().wait_for_subscription(category, topic, timeout);
}

bool FakeBybit::wait_for_ws_connections(int count, std::chrono::milliseconds timeout) {
  return server_->state().wait_for_ws_connections(count, timeout);
}

bool FakeBybit::wait_for_http_requests(int count, std::chrono::milliseconds timeout) {
  return server_->state().wait_for_http_requests(count, timeout);
}

}  // namespace gauntlet::testing::fakes
