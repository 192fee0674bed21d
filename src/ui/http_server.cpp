#include "ui/http_server.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

// Asio only through core/asio.hpp, which puts <utility> first; Beast after it.
// clang-format off
#include "core/asio.hpp"
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
// clang-format on

#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "core/text.hpp"
#include "ui/internal/static_files.hpp"
#include "ui/internal/topic_coalescer.hpp"

namespace gauntlet::ui {
namespace internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using ErrorCode = beast::error_code;
using Message = http::request<http::string_body>;

// After a response that closes the connection, what the client still sends is read and dropped
// for at most this long (and this much), so that it sees the response rather than a reset.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 256u << 10;
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
constexpr std::string_view kWebSocketPath = "/ws";

std::shared_ptr<spdlog::logger> logger() {
  static const auto log = module_logger("http_server");
  return log;
}

std::string_view view(beast::string_view text) {
  return {text.data(), text.size()};
}

// The request as handlers see it; std::nullopt when its query has a malformed %-escape.
std::optional<HttpRequest> to_request(const Message& message) {
  HttpRequest request;
  request.method = std::string(view(message.method_string()));
  request.target = std::string(view(message.target()));
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) {
    std::optional<std::map<std::string, std::string>> query =
        parse_query(std::string_view(request.target).substr(question + 1));
    if (!query) return std::nullopt;
    request.query = std::move(*query);
  }
  for (const auto& field : message) {
    std::string name = to_lower(view(field.name_string()));
    const std::string_view value = view(field.value());
    auto [it, inserted] = request.headers.try_emplace(std::move(name), value);
    if (!inserted) it->second.append(", ").append(value);
  }
  request.body = message.body();
  return request;
}

}  // namespace

// The server's counters, bumped on the I/O thread and read from any thread.
struct AtomicCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> client_errors{0};
  std::atomic<std::uint64_t> server_errors{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> connections_timed_out{0};
  std::atomic<std::uint64_t> open_connections{0};
  std::atomic<std::uint64_t> ws_clients{0};
  std::atomic<std::uint64_t> ws_messages_sent{0};
  std::atomic<std::uint64_t> ws_clients_dropped{0};
};

// One accepted connection, as the server tracks it to close it on stop().
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the socket at once; the connection's pending operations end with errors.
  virtual void close() = 0;
};

class WsSession;

// The listener, the I/O thread and the table of connections. Everything but the constructor,
// destructor, start(), stop(), port(), broadcast() and counters() runs on the I/O thread.
class ServerCore {
 public:
  ServerCore(HttpServerOptions options, const Router& router, const ApiAuth& auth);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  void start();
  void stop();
  unsigned short port() const { return port_.load(); }
  const HttpServerOptions& options() const { return options_; }
  void broadcast(std::string_view topic, std::string text);
  HttpServerCounters counters() const;

  const Router& router() const { return router_; }
  const ApiAuth& auth() const { return auth_; }
  const std::optional<std::filesystem::path>& static_root() const { return static_root_; }
  AtomicCounters& stats() { return stats_; }

  void track(std::uint64_t id, std::weak_ptr<Connection> connection);
  void track_ws(std::uint64_t id, const std::shared_ptr<WsSession>& session);
  void untrack(std::uint64_t id);
  void record_response(int status);

 private:
  void run();
  void accept_next();
  void close_all();

  HttpServerOptions options_;
  const Router& router_;
  const ApiAuth& auth_;
  std::optional<std::filesystem::path> static_root_;
  AtomicCounters stats_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::map<std::uint64_t, std::weak_ptr<WsSession>> ws_sessions_;
  std::uint64_t last_connection_id_ = 0;
  bool stopping_ = false;  // I/O thread
  std::atomic<bool> running_{false};
  std::atomic<unsigned short> port_{0};
  std::mutex lifecycle_mutex_;
  bool started_ = false;
  // Declared after what handlers touch, so that it is destroyed first.
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::thread thread_;
};

// A WebSocket client of GET /ws: writes the coalesced broadcasts one frame at a time, reads and
// drops what the client sends.
class WsSession : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ServerCore& core, beast::tcp_stream stream, std::uint64_t id)
      : core_(core),
        ws_(std::move(stream)),
        id_(id),
        buffer_(core.options().ws_max_incoming_bytes + 1024),
        coalescer_(core.options().ws_topic_interval),
        flush_timer_(ws_.get_executor()) {}

  void start(Message upgrade) {
    upgrade_ = std::move(upgrade);
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = core_.options().read_timeout;
    timeouts.idle_timeout = core_.options().ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(core_.options().ws_max_incoming_bytes);
    ws_.async_accept(upgrade_,
                     [self = shared_from_this()](ErrorCode error) { self->on_accept(error); });
  }

  // Queues `text` for `topic`, coalesced; disconnects the client when its queue is full.
  void offer(const std::string& topic, const SharedText& text) {
    if (!open_ || finished_) return;
    const auto now = std::chrono::steady_clock::now();
    const TopicCoalescer::Offer offer = coalescer_.offer(topic, text, now);
    if (offer.send_now) return enqueue(text);
    arm_flush(offer.due);
  }

  void close() override {
    if (finished_) return;
    finish();
  }

 private:
  void on_accept(ErrorCode error) {
    if (finished_) return;
    if (error) {
      logger()->debug("websocket handshake failed connection={} error={}", id_, error.message());
      return finish();
    }
    open_ = true;
    core_.stats().ws_clients.fetch_add(1);
    ws_.text(true);
    read_next();
  }

  void read_next() {
    ws_.async_read(buffer_, [self = shared_from_this()](ErrorCode error, std::size_t) {
      if (self->finished_) return;
      if (error) return self->finish();
      self->buffer_.consume(self->buffer_.size());
      self->read_next();
    });
  }

  void enqueue(SharedText text) {
    if (outbox_.size() >= core_.options().ws_queue_limit) {
      logger()->info("websocket client dropped: not keeping up connection={} queued={}", id_,
                     outbox_.size());
      core_.stats().ws_clients_dropped.fetch_add(1);
      return finish();
    }
    outbox_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(asio::buffer(*outbox_.front()),
                    [self = shared_from_this()](ErrorCode error, std::size_t) {
                      self->writing_ = false;
                      if (self->finished_) return;
                      if (error) return self->finish();
                      self->core_.stats().ws_messages_sent.fetch_add(1);
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->write_next();
                    });
  }

  // Wakes up at `due` (or earlier, if already armed earlier) to send the pending messages.
  void arm_flush(SteadyTime due) {
    if (armed_until_ && *armed_until_ <= due) return;
    armed_until_ = due;
    flush_timer_.expires_at(due);
    flush_timer_.async_wait([self = shared_from_this()](ErrorCode error) {
      if (error || self->finished_) return;  // re-armed earlier, or closed
      self->armed_until_.reset();
      self->flush();
    });
  }

  void flush() {
    std::vector<SharedText> due;
    const std::optional<SteadyTime> next =
        coalescer_.take_due(std::chrono::steady_clock::now(), due);
    for (SharedText& text : due) {
      enqueue(std::move(text));
      if (finished_) return;
    }
    if (next) arm_flush(*next);
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    flush_timer_.cancel();
    outbox_.clear();
    beast::get_lowest_layer(ws_).close();
    if (open_) core_.stats().ws_clients.fetch_sub(1);
    core_.untrack(id_);
  }

  ServerCore& core_;
  websocket::stream<beast::tcp_stream> ws_;
  std::uint64_t id_;
  Message upgrade_;
  beast::flat_buffer buffer_;
  TopicCoalescer coalescer_;
  asio::steady_timer flush_timer_;
  std::optional<SteadyTime> armed_until_;
  std::deque<SharedText> outbox_;  // front() is being written while writing_
  bool writing_ = false;
  bool open_ = false;
  bool finished_ = false;
};

// An HTTP/1.1 connection: reads requests one at a time (keep-alive, pipelining), answers them
// from the router, the WebSocket upgrade or the static files.
class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ServerCore& core, tcp::socket socket, std::uint64_t id)
      : core_(core),
        stream_(std::move(socket)),
        id_(id),
        buffer_(core.options().max_header_bytes + (64u << 10)) {}

  void start() { read_request(); }

  void close() override {
    if (finished_) return;
    finish();
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options().max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(core_.options().max_body_bytes));
    stream_.expires_after(core_.options().read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](ErrorCode error, std::size_t) { self->on_read(error); });
  }

  void on_read(ErrorCode error) {
    if (finished_) return;
    if (error) return on_read_error(error);
    Message message = parser_->release();
    parser_.reset();
    handle(std::move(message));
  }

  void on_read_error(ErrorCode error) {
    if (error == beast::error::timeout) {
      if (parser_->got_some()) core_.stats().connections_timed_out.fetch_add(1);
      return finish();
    }
    if (error == http::error::header_limit) {
      return send(error_response(431, "headers_too_large",
                                 fmt::format("the request headers exceed {} bytes",
                                             core_.options().max_header_bytes)),
                  Origin::kApi, 11, true);
    }
    if (error == http::error::body_limit) {
      return send(error_response(413, "body_too_large",
                                 fmt::format("the request body exceeds {} bytes",
                                             core_.options().max_body_bytes)),
                  Origin::kApi, 11, true);
    }
    if (error == http::error::partial_message) {
      return send(error_response(400, "bad_request", "the request ended early"), Origin::kApi, 11,
                  true);
    }
    // Any other parse error of Beast's HTTP parser.
    if (error.category() == http::make_error_code(http::error::bad_method).category() &&
        error != http::error::end_of_stream) {
      return send(
          error_response(400, "bad_request", fmt::format("malformed request: {}", error.message())),
          Origin::kApi, 11, true);
    }
    // end_of_stream (the client closed between requests), a reset, a local close.
    finish();
  }

  void handle(Message message) {
    const unsigned version = message.version();
    const bool keep_alive = core_.options().keep_alive && message.keep_alive();
    std::optional<HttpRequest> request = to_request(message);
    if (!request) {
      return send(error_response(400, "bad_request", "the query has a malformed %-escape"),
                  Origin::kApi, version, !keep_alive);
    }
    if (request->path == kWebSocketPath) {
      if (websocket::is_upgrade(message)) return upgrade(*request, std::move(message));
      return send(error_response(400, "bad_request", "GET /ws needs a WebSocket upgrade"),
                  Origin::kApi, version, !keep_alive);
    }
    RouteMatch match = core_.router().match(request->method, request->path);
    if (!match.found()) {
      if (match.refusal->status == 404 && request->method == "GET" && core_.static_root()) {
        if (std::optional<HttpResponse> file = static_file(request->path)) {
          return send(std::move(*file), Origin::kStaticFile, version, !keep_alive);
        }
      }
      return send(std::move(*match.refusal), Origin::kApi, version, !keep_alive);
    }
    request->params = std::move(match.params);
    request->auth = core_.auth().identify(*request);
    if (std::optional<HttpResponse> refusal = core_.auth().authorize(*request, match.access)) {
      return send(std::move(*refusal), Origin::kApi, version, !keep_alive);
    }
    send(call_handler(*match.handler, *request), Origin::kApi, version, !keep_alive);
  }

  std::optional<HttpResponse> static_file(std::string_view path) const {
    const std::optional<std::filesystem::path> file =
        resolve_static_path(*core_.static_root(), path);
    if (!file) return std::nullopt;
    std::optional<std::string> content =
        read_static_file(*file, core_.options().max_static_file_bytes);
    if (!content) return std::nullopt;
    HttpResponse response;
    response.content_type = std::string(content_type_for(*file));
    response.body = std::move(*content);
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  }

  void upgrade(HttpRequest& request, Message message) {
    request.auth = core_.auth().identify(request);
    if (std::optional<HttpResponse> refusal = core_.auth().authorize_websocket(request)) {
      return send(std::move(*refusal), Origin::kApi, message.version(), true);
    }
    finished_ = true;
    auto session = std::make_shared<WsSession>(core_, std::move(stream_), id_);
    core_.track_ws(id_, session);
    session->start(std::move(message));
  }

  // Where a response comes from: API responses are never cached.
  enum class Origin { kApi, kStaticFile };

  // Writes `response`; closes the connection afterwards when `close_after`.
  void send(HttpResponse response, Origin origin, unsigned version, bool close_after) {
    core_.record_response(response.status);
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::content_type, response.content_type);
    bool has_cache_control = false;
    for (const auto& [name, value] : response.headers) {
      has_cache_control = has_cache_control || to_lower(name) == "cache-control";
      response_.insert(name, value);
    }
    response_.set("X-Content-Type-Options", "nosniff");
    response_.set("X-Frame-Options", "DENY");
    if (origin == Origin::kApi && !has_cache_control)
      response_.set(http::field::cache_control, "no-store");
    response_.body() = std::move(response.body);
    response_.keep_alive(!close_after);
    response_.prepare_payload();
    stream_.expires_after(core_.options().write_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), close_after](ErrorCode error, std::size_t) {
                        if (self->finished_) return;
                        if (error) return self->finish();
                        if (close_after) return self->linger();
                        self->read_request();
                      });
  }

  // Half-closes and drops what the client still sends until it closes (bounded), so that a
  // client still writing a refused request reads the response instead of a reset.
  void linger() {
    ErrorCode ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](ErrorCode error, std::size_t size) {
                              if (self->finished_) return;
                              self->drained_ += size;
                              if (error || self->drained_ > kLingerBytes) return self->finish();
                              self->drain();
                            });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    stream_.close();
    core_.untrack(id_);
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  std::uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;
  bool finished_ = false;
};

ServerCore::ServerCore(HttpServerOptions options, const Router& router, const ApiAuth& auth)
    : options_(std::move(options)),
      router_(router),
      auth_(auth),
      acceptor_(io_),
      accept_retry_(io_) {
  if (options_.ws_queue_limit == 0) options_.ws_queue_limit = 1;
  if (options_.max_connections == 0) options_.max_connections = 1;
  if (!options_.static_root.empty()) {
    std::error_code error;
    std::filesystem::path root = std::filesystem::canonical(options_.static_root, error);
    if (error || !std::filesystem::is_directory(root, error)) {
      logger()->warn("static root is not a directory, serving no files path={}",
                     options_.static_root.string());
    } else {
      static_root_ = std::move(root);
    }
  }
}

ServerCore::~ServerCore() {
  stop();
}

void ServerCore::start() {
  const std::lock_guard lock(lifecycle_mutex_);
  if (started_) throw GauntletError("http_server: start() called twice");
  started_ = true;
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(options_.bind_address), options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  } catch (const boost::system::system_error& error) {
    ErrorCode ignored;
    acceptor_.close(ignored);
    throw GauntletError(fmt::format("http_server: cannot listen on {}:{}: {}",
                                    options_.bind_address, options_.port, error.what()));
  }
  running_ = true;
  accept_next();
  thread_ = std::thread([this] { run(); });
  logger()->info("listening address={} port={}", options_.bind_address, port_.load());
}

void ServerCore::stop() {
  const std::lock_guard lock(lifecycle_mutex_);
  if (!thread_.joinable()) return;
  running_ = false;
  asio::post(io_, [this] {
    stopping_ = true;
    ErrorCode ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    close_all();
  });
  thread_.join();
  logger()->info("stopped port={}", port_.load());
}

void ServerCore::run() {
  while (true) {
    try {
      io_.run();
      return;
    } catch (const std::exception& error) {
      // A bug of the server, not of a client: say so and keep serving.
      logger()->error("an I/O handler threw: {}", error.what());
    }
  }
}

void ServerCore::accept_next() {
  acceptor_.async_accept([this](ErrorCode error, tcp::socket socket) {
    if (stopping_ || error == asio::error::operation_aborted) return;
    if (error) {
      // Out of file descriptors, for instance: try again shortly rather than spin.
      logger()->warn("accept failed error={}", error.message());
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](ErrorCode wait_error) {
        if (!wait_error && !stopping_) accept_next();
      });
      return;
    }
    if (connections_.size() >= options_.max_connections) {
      stats_.connections_refused.fetch_add(1);
      ErrorCode ignored;
      socket.close(ignored);
    } else {
      stats_.connections_accepted.fetch_add(1);
      ErrorCode ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const std::uint64_t id = ++last_connection_id_;
      auto session = std::make_shared<HttpSession>(*this, std::move(socket), id);
      track(id, session);
      session->start();
    }
    accept_next();
  });
}

void ServerCore::track(std::uint64_t id, std::weak_ptr<Connection> connection) {
  if (connections_.insert_or_assign(id, std::move(connection)).second) {
    stats_.open_connections.fetch_add(1);
  }
}

void ServerCore::track_ws(std::uint64_t id, const std::shared_ptr<WsSession>& session) {
  track(id, session);
  ws_sessions_[id] = session;
}

void ServerCore::untrack(std::uint64_t id) {
  if (connections_.erase(id) > 0) stats_.open_connections.fetch_sub(1);
  ws_sessions_.erase(id);
}

void ServerCore::close_all() {
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [id, weak] : connections_) {
    if (std::shared_ptr<Connection> connection = weak.lock()) open.push_back(std::move(connection));
  }
  for (const std::shared_ptr<Connection>& connection : open) connection->close();
}

void ServerCore::record_response(int status) {
  stats_.requests.fetch_add(1);
  if (status >= 500) {
    stats_.server_errors.fetch_add(1);
  } else if (status >= 400) {
    stats_.client_errors.fetch_add(1);
  }
}

void ServerCore::broadcast(std::string_view topic, std::string text) {
  if (!running_) return;
  auto shared = std::make_shared<const std::string>(std::move(text));
  asio::post(io_, [this, topic = std::string(topic), shared = std::move(shared)] {
    if (stopping_) return;
    std::vector<std::shared_ptr<WsSession>> sessions;
    sessions.reserve(ws_sessions_.size());
    for (const auto& [id, weak] : ws_sessions_) {
      if (std::shared_ptr<WsSession> session = weak.lock()) sessions.push_back(std::move(session));
    }
    for (const std::shared_ptr<WsSession>& session : sessions) session->offer(topic, shared);
  });
}

HttpServerCounters ServerCore::counters() const {
  HttpServerCounters counters;
  counters.requests = stats_.requests.load();
  counters.client_errors = stats_.client_errors.load();
  counters.server_errors = stats_.server_errors.load();
  counters.connections_accepted = stats_.connections_accepted.load();
  counters.connections_refused = stats_.connections_refused.load();
  counters.connections_timed_out = stats_.connections_timed_out.load();
  counters.open_connections = stats_.open_connections.load();
  counters.ws_clients = stats_.ws_clients.load();
  counters.ws_messages_sent = stats_.ws_messages_sent.load();
  counters.ws_clients_dropped = stats_.ws_clients_dropped.load();
  return counters;
}

}  // namespace internal

HttpServer::HttpServer(HttpServerOptions options, const Router& router, const ApiAuth& auth)
    : core_(std::make_unique<internal::ServerCore>(std::move(options), router, auth)) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  core_->start();
}

void HttpServer::stop() {
  core_->stop();
}

unsigned short HttpServer::port() const {
  return core_->port();
}

std::string HttpServer::url() const {
  const std::string& address = core_->options().bind_address;
  if (address.find(':') != std::string::npos) {
    return fmt::format("http://[{}]:{}", address, core_->port());
  }
  return fmt::format("http://{}:{}", address, core_->port());
}

void HttpServer::broadcast(std::string_view topic, std::string text) {
  core_->broadcast(topic, std::move(text));
}

HttpServerCounters HttpServer::counters() const {
  return core_->counters();
}

}  // namespace gauntlet::ui
