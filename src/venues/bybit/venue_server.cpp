#include "venues/bybit/venue_server.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <variant>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "venues/bybit/internal/fault_control.hpp"
#include "venues/bybit/internal/rest_routes.hpp"
#include "venues/bybit/internal/server_state.hpp"
#include "venues/bybit/internal/wire.hpp"
#include "venues/bybit/internal/ws_requests.hpp"

namespace gauntlet::venues::bybit {

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

// The path of a request target: what comes before the '?'.
std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// The query of a request target: what follows the '?', "" when none.
std::string_view query_of(std::string_view target) {
  const std::size_t question = target.find('?');
  return question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

// The category of a public WebSocket target ("/v5/public/linear", a query allowed).
std::optional<Category> category_of_ws_target(std::string_view target) {
  const std::string_view path = path_of(target);
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

// The way from a private session's SendFrame to its connection: posts to the I/O thread while
// the connection is open, drops everything once it closed (so a SendFrame kept past the
// connection, or the server, is harmless).
struct PrivateOutlet {
  std::mutex mutex;
  bool closed = false;               // under mutex
  asio::io_context* io = nullptr;    // under mutex; valid while !closed
  std::weak_ptr<WsSession> session;  // I/O thread only

  void close() {
    std::lock_guard lock(mutex);
    closed = true;
  }
};

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
  explicit Server(const VenueServerOptions& options);
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
  PrivateApi* private_api() const { return private_api_.get(); }
  void set_private_api(std::shared_ptr<PrivateApi> api) { private_api_ = std::move(api); }
  // A SendFrame for a private session, and the outlet the session binds to and closes.
  std::pair<SendFrame, std::shared_ptr<PrivateOutlet>> make_private_outlet();
  // Whether `path` is the control route's (fault_control.hpp), served when a token is set.
  bool controls(std::string_view path) const {
    return !control_token_.empty() && path.starts_with(kControlPrefix);
  }
  // Answers a control request; `drop_after` is set when every connection is to be reset once
  // the answer is written.
  RestReply answer_control(const RestRequest& request, bool& drop_after);

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
  std::shared_ptr<PrivateApi> private_api_;
  std::string control_token_;
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
      if (server_.private_api()) {
        // A handshake during a stall is never answered, like any request.
        if (server_.state().stalled()) return swallow();
        if (upgrade_privately(target)) return;
      }
      RestReply not_found;
      not_found.status = 404;
      not_found.content_type = "text/plain";
      not_found.body = "no WebSocket at " + std::string(target);
      return write(std::move(not_found));
    }
    RestRequest request;
    request.method = std::string(view(request_.method_string()));
    request.path = std::string(path_of(target));
    request.query = std::string(query_of(target));
    for (const auto& field : request_) {
      request.headers.emplace_back(std::string(view(field.name_string())),
                                   std::string(view(field.value())));
    }
    request.body = request_.body();
    if (server_.controls(request.path)) {
      return write(server_.answer_control(request, drop_after_write_));
    }
    RestReply reply = answer_rest_request(server_.state(), request, server_.private_api());
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
    if (drop_after_write_) {
      drop_after_write_ = false;
      return server_.close_all();
    }
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
  // Hands the handshake to the PrivateApi; false when it refuses the path.
  bool upgrade_privately(std::string_view target);

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
  bool drop_after_write_ = false;  // a control request asked to reset every connection
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::array<char, 4096> discard_{};
  bool finished_ = false;
};

// A WebSocket session, one write at a time. A public one (/v5/public/<category>) answers
// subscribe, unsubscribe and ping with answer_ws_message() and writes the frames the server
// pushes; a private one hands what it reads to its PrivateSession and writes what that sends.
class WsSession : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Server& server, tcp::socket socket, Category category, std::uint64_t id)
      : server_(server),
        ws_(std::move(socket)),
        category_(category),
        id_(id),
        conn_id_("venue-conn-" + std::to_string(id)) {}

  WsSession(Server& server, tcp::socket socket, std::uint64_t id,
            std::unique_ptr<PrivateSession> session, std::shared_ptr<PrivateOutlet> outlet)
      : server_(server),
        ws_(std::move(socket)),
        id_(id),
        conn_id_("venue-conn-" + std::to_string(id)),
        private_session_(std::move(session)),
        outlet_(std::move(outlet)) {}

  void start(http::request<http::string_body> upgrade_request) {
    upgrade_request_ = std::move(upgrade_request);
    ws_.async_accept(upgrade_request_,
                     [self = shared_from_this()](ErrorCode error) { self->on_accept(error); });
  }

  // Public sessions only.
  bool is_public_of(Category category) const { return !private_session_ && category_ == category; }
  bool is_open() const { return open_ && !finished_; }
  bool subscribed_to(const std::string& topic) const { return topics_.contains(topic); }
  // The topic malformed frames name: the first (sorted) the client subscribed to.
  std::string malformed_topic() const {
    return topics_.empty() ? std::string(kDefaultMalformedTopic) : *topics_.begin();
  }

  // Queues a text frame (written once the handshake completed); discards it while the server
  // is stalled or after the session finished.
  void send(std::string frame) {
    if (finished_ || server_.state().stalled()) return;
    outbox_.push_back(std::move(frame));
    if (open_ && !writing_) write_next();
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
    if (!outbox_.empty()) write_next();
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
    if (private_session_) return handle_privately(text);
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

  void handle_privately(std::string_view text) {
    if (server_.state().stalled()) return;
    try {
      private_session_->on_message(text);
    } catch (const std::exception& error) {
      module_logger("bybit_venue")
          ->error("private session message failed conn_id={} error={}", conn_id_, error.what());
    }
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
    if (outlet_) outlet_->close();
    private_session_.reset();
    if (open_) server_.state().record_ws_closed();
    server_.untrack(id_);
    ErrorCode ignored;
    ws_.next_layer().close(ignored);
  }

  Server& server_;
  websocket::stream<tcp::socket> ws_;
  Category category_ = Category::kLinear;  // of a public session
  std::uint64_t id_;
  std::string conn_id_;
  std::unique_ptr<PrivateSession> private_session_;  // a private session's handler
  std::shared_ptr<PrivateOutlet> outlet_;
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

bool HttpSession::upgrade_privately(std::string_view target) {
  auto [send, outlet] = server_.make_private_outlet();
  std::unique_ptr<PrivateSession> handler;
  try {
    handler = server_.private_api()->open_session(path_of(target), query_of(target), send);
  } catch (const std::exception& error) {
    module_logger("bybit_venue")
        ->error("private session refused target={} error={}", target, error.what());
  }
  if (!handler) {
    outlet->close();
    return false;
  }
  finished_ = true;
  server_.untrack(id_);
  auto session =
      std::make_shared<WsSession>(server_, std::move(socket_), id_, std::move(handler), outlet);
  outlet->session = session;
  server_.track_ws(id_, session);
  session->start(std::move(request_));
  return true;
}

Server::Server(const VenueServerOptions& options)
    : control_token_(options.control_token), work_(asio::make_work_guard(io_)), acceptor_(io_) {
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  } catch (const boost::system::system_error& error) {
    throw GauntletError("the local Bybit cannot listen on " + options.host + ":" +
                        std::to_string(options.port) +
                        " (an IP address and a free port): " + error.what());
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
      // A bug of the venue, not of its client: say so and keep serving.
      module_logger("bybit_venue")->error("an I/O handler threw error={}", error.what());
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

std::pair<SendFrame, std::shared_ptr<PrivateOutlet>> Server::make_private_outlet() {
  auto outlet = std::make_shared<PrivateOutlet>();
  outlet->io = &io_;
  SendFrame send = [outlet](std::string frame) {
    std::lock_guard lock(outlet->mutex);
    if (outlet->closed) return;
    asio::post(*outlet->io, [outlet, frame = std::move(frame)]() mutable {
      if (std::shared_ptr<WsSession> session = outlet->session.lock()) {
        session->send(std::move(frame));
      }
    });
  };
  return {std::move(send), std::move(outlet)};
}

std::vector<std::shared_ptr<WsSession>> Server::open_ws_sessions(Category category) const {
  std::vector<std::shared_ptr<WsSession>> sessions;
  for (const auto& [id, weak] : ws_sessions_) {
    std::shared_ptr<WsSession> session = weak.lock();
    if (session && session->is_open() && session->is_public_of(category)) {
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

RestReply Server::answer_control(const RestRequest& request, bool& drop_after) {
  RestReply reply;
  const auto answer = [&](unsigned status, const nlohmann::json& body) {
    reply.status = status;
    reply.body = body.dump();
    return reply;
  };
  std::string_view token;
  for (const auto& [name, value] : request.headers) {
    if (beast::iequals(name,
                       beast::string_view(kControlTokenHeader.data(), kControlTokenHeader.size())))
      token = value;
  }
  if (!control_token_matches(control_token_, token)) {
    return answer(401, {{"error", "the control token (X-Venue-Token) is missing or wrong"}});
  }
  if (request.path != kFaultsPath) return answer(404, {{"error", "no control route here"}});
  if (request.method == "POST") {
    std::variant<FaultCommand, std::string> parsed = parse_fault_command(request.body);
    if (const std::string* error = std::get_if<std::string>(&parsed)) {
      return answer(400, {{"error", *error}});
    }
    const FaultCommand& command = std::get<FaultCommand>(parsed);
    if (command.http_errors) {
      state_.fail_next_http(command.http_errors->first, command.http_errors->second);
    }
    if (command.rate_limit) {
      state_.rate_limit_next_http(command.rate_limit->first, command.rate_limit->second);
    }
    if (command.malformed_http) state_.set_malformed_http(*command.malformed_http);
    if (command.stall_ms) state_.stall_for(std::chrono::milliseconds(*command.stall_ms));
    if (command.duplicate_pushes) set_duplicate_pushes(*command.duplicate_pushes);
    if (command.out_of_order) set_out_of_order(*command.out_of_order);
    if (command.malformed_frames) {
      send_malformed(command.malformed_frames->first, command.malformed_frames->second);
    }
    drop_after = command.drop_connections;
    module_logger("bybit_venue")->warn("faults switched at run time: {}", request.body);
  } else if (request.method != "GET") {
    return answer(405, {{"error", "GET or POST " + std::string(kFaultsPath)}});
  }
  return answer(200, fault_status(state_.pending_faults(), {duplicate_pushes_, out_of_order_},
                                  state_.http_requests(), state_.open_ws_connections()));
}

void Server::close_all() {
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [id, weak] : connections_) {
    if (std::shared_ptr<Connection> connection = weak.lock()) open.push_back(std::move(connection));
  }
  for (const std::shared_ptr<Connection>& connection : open) connection->close_abruptly();
}

}  // namespace internal

VenueServer::VenueServer() : VenueServer(VenueServerOptions{}) {}

VenueServer::VenueServer(const VenueServerOptions& options)
    : host_in_url_(options.host.find(':') == std::string::npos ? options.host
                                                               : "[" + options.host + "]"),
      server_(std::make_unique<internal::Server>(options)) {}

VenueServer::~VenueServer() = default;

unsigned short VenueServer::port() const {
  return server_->port();
}

std::string VenueServer::rest_url() const {
  return "http://" + host_in_url_ + ":" + std::to_string(port());
}

std::string VenueServer::public_ws_url(Category category) const {
  return "ws://" + host_in_url_ + ":" + std::to_string(port()) + "/v5/public/" +
         std::string(to_string(category));
}

void VenueServer::set_klines(Category category, const std::string& symbol, Timeframe timeframe,
                             std::vector<Bar> bars) {
  server_->state().set_klines(category, symbol, timeframe, std::move(bars));
}

void VenueServer::add_kline(Category category, const std::string& symbol, Timeframe timeframe,
                            const Bar& bar) {
  server_->state().add_kline(category, symbol, timeframe, bar);
}

void VenueServer::add_instrument(Category category, nlohmann::json instrument) {
  server_->state().add_instrument(category, std::move(instrument));
}

void VenueServer::set_ticker(Category category, nlohmann::json ticker) {
  server_->state().set_ticker(category, std::move(ticker));
}

void VenueServer::push_kline(Category category, const std::string& symbol, Timeframe timeframe,
                             const Bar& bar, bool confirm) {
  internal::Push push{category, internal::kline_topic(timeframe, symbol),
                      internal::kline_frame(timeframe, symbol, bar, confirm)};
  server_->run_on_io([&] { server_->push(std::move(push)); });
}

void VenueServer::push_ticker(Category category, const nlohmann::json& ticker,
                              TimestampMs timestamp) {
  internal::Push push{category, internal::ticker_topic(ticker.at("symbol").get<std::string>()),
                      internal::ticker_frame(ticker, timestamp)};
  server_->run_on_io([&] { server_->push(std::move(push)); });
}

void VenueServer::push_raw(Category category, std::string frame) {
  internal::Push push{category, "", std::move(frame)};
  server_->run_on_io([&] { server_->push(std::move(push)); });
}

void VenueServer::set_private_api(std::shared_ptr<PrivateApi> private_api) {
  server_->run_on_io([&] { server_->set_private_api(std::move(private_api)); });
}

void VenueServer::fail_next_http(int count, int status) {
  server_->state().fail_next_http(count, status);
}

void VenueServer::rate_limit_next_http(int count, std::chrono::milliseconds reset_after) {
  server_->state().rate_limit_next_http(count, reset_after.count());
}

void VenueServer::drop_connections() {
  server_->run_on_io([&] { server_->close_all(); });
}

void VenueServer::stall(std::chrono::milliseconds duration) {
  server_->state().stall_for(duration);
}

void VenueServer::set_duplicate_pushes(bool enabled) {
  server_->run_on_io([&] { server_->set_duplicate_pushes(enabled); });
}

void VenueServer::set_out_of_order(bool enabled) {
  server_->run_on_io([&] { server_->set_out_of_order(enabled); });
}

void VenueServer::send_malformed(Category category, int count) {
  server_->run_on_io([&] { server_->send_malformed(category, count); });
}

void VenueServer::set_malformed_http(int count) {
  server_->state().set_malformed_http(count);
}

int VenueServer::http_requests() const {
  return server_->state().http_requests();
}

int VenueServer::ws_connections() const {
  return server_->state().ws_connections();
}

int VenueServer::open_ws_connections() const {
  return server_->state().open_ws_connections();
}

int VenueServer::pings_received() const {
  return server_->state().pings_received();
}

std::vector<std::string> VenueServer::subscriptions(Category category) const {
  return server_->state().subscriptions(category);
}

bool VenueServer::wait_for_subscription(Category category, const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  return server_->state().wait_for_subscription(category, topic, timeout);
}

bool VenueServer::wait_for_ws_connections(int count, std::chrono::milliseconds timeout) {
  return server_->state().wait_for_ws_connections(count, timeout);
}

bool VenueServer::wait_for_http_requests(int count, std::chrono::milliseconds timeout) {
  return server_->state().wait_for_http_requests(count, timeout);
}

}  // namespace gauntlet::venues::bybit
