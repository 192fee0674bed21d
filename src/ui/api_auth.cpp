#include "ui/api_auth.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "core/logging.hpp"
#include "core/text.hpp"
#include "ui/router.hpp"

namespace gauntlet::ui {
namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenHexDigits = 2 * kTokenBytes;

std::shared_ptr<spdlog::logger> logger() {
  static const auto log = module_logger("http_server");
  return log;
}

bool is_token_text(std::string_view text) {
  return text.size() == kTokenHexDigits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string errno_text() {
  return std::strerror(errno);
}

// Closes a file descriptor on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool is_unsafe_method(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The bearer token of an Authorization header, std::nullopt when the header is not "Bearer x".
std::optional<std::string_view> bearer_token(std::string_view header) {
  header = trim(header);
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() || to_lower(header.substr(0, kScheme.size())) != kScheme) {
    return std::nullopt;
  }
  return trim(header.substr(kScheme.size()));
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (bytes > 0 && RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw GauntletError("http_server: the random generator (RAND_bytes) failed");
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text;
  text.reserve(2 * bytes);
  for (const unsigned char byte : buffer) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0x0F]);
  }
  return text;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

ApiAuth::ApiAuth(ApiAuthOptions options)
    : options_(std::move(options)), token_path_(options_.state_dir / kTokenFileName) {
  if (options_.max_sessions == 0) options_.max_sessions = 1;
  load_or_create_token();
}

void ApiAuth::load_or_create_token() {
  std::error_code error;
  std::filesystem::create_directories(options_.state_dir, error);
  if (error) {
    throw StateError(fmt::format("api token: cannot create the directory {}: {}",
                                 options_.state_dir.string(), error.message()));
  }
  const std::string path = token_path_.string();

  struct stat status {};
  if (::lstat(path.c_str(), &status) == 0) {
    if (!S_ISREG(status.st_mode)) {
      throw StateError(fmt::format("api token: {} exists but is not a regular file", path));
    }
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (file.get() < 0) {
      throw StateError(fmt::format("api token: cannot open {}: {}", path, errno_text()));
    }
    std::array<char, 256> buffer{};
    const ssize_t size = ::read(file.get(), buffer.data(), buffer.size());
    if (size < 0) {
      throw StateError(fmt::format("api token: cannot read {}: {}", path, errno_text()));
    }
    const std::string_view content =
        trim(std::string_view(buffer.data(), static_cast<std::size_t>(size)));
    if (is_token_text(content)) {
      if ((status.st_mode & 0077) != 0) {
        if (::fchmod(file.get(), 0600) != 0) {
          throw StateError(
              fmt::format("api token: {} has mode {:o} and cannot be chmod-ed to 600: {}", path,
                          status.st_mode & 0777, errno_text()));
        }
        logger()->warn("api token file had loose permissions path={} mode={:o}; now 600", path,
                       status.st_mode & 0777);
      }
      token_ = std::string(content);
      return;
    }
    logger()->warn("api token file does not hold a token path={}; writing a new one", path);
  } else if (errno != ENOENT) {
    throw StateError(fmt::format("api token: cannot stat {}: {}", path, errno_text()));
  }

  // A new token, written to a private temporary file and renamed over the old one.
  std::string token = random_hex(kTokenBytes);
  const std::string temporary = path + ".tmp";
  ::unlink(temporary.c_str());
  {
    FileDescriptor file(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.get() < 0) {
      throw StateError(fmt::format("api token: cannot create {}: {}", temporary, errno_text()));
    }
    bool written = ::fchmod(file.get(), 0600) == 0;
    written = written &&
              ::write(file.get(), token.data(), token.size()) == static_cast<ssize_t>(token.size());
    written = written && ::fsync(file.get()) == 0;
    if (!written) {
      const std::string reason = errno_text();
      ::unlink(temporary.c_str());
      throw StateError(fmt::format("api token: cannot write {}: {}", temporary, reason));
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temporary.c_str());
    throw StateError(fmt::format("api token: cannot rename {} to {}: {}", temporary, path, reason));
  }
  logger()->info("api token created path={}", path);
  token_ = std::move(token);
}

AuthMethod ApiAuth::identify(const HttpRequest& request) const {
  const std::string_view authorization = request.header("authorization");
  if (!authorization.empty()) {
    const std::optional<std::string_view> bearer = bearer_token(authorization);
    return bearer && constant_time_equal(*bearer, token_) ? AuthMethod::kBearer : AuthMethod::kNone;
  }
  return session_csrf(request) ? AuthMethod::kCookie : AuthMethod::kNone;
}

std::optional<std::string> ApiAuth::session_csrf(const HttpRequest& request) const {
  const std::optional<std::string> id = request.cookie(kSessionCookie);
  if (!id || id->empty()) return std::nullopt;
  const std::lock_guard lock(mutex_);
  std::optional<std::string> csrf;
  // Every session is compared, so the time spent does not tell which one matched.
  for (const Session& session : sessions_) {
    if (constant_time_equal(session.id, *id)) csrf = session.csrf;
  }
  return csrf;
}

bool ApiAuth::origin_allowed(const HttpRequest& request) const {
  const auto found = request.headers.find("origin");
  if (found == request.headers.end()) return true;
  const std::string origin = to_lower(trim(found->second));
  const std::string host = to_lower(trim(request.header("host")));
  if (!host.empty() && origin == "http://" + host) return true;
  return std::any_of(options_.extra_origins.begin(), options_.extra_origins.end(),
                     [&](const std::string& extra) { return to_lower(extra) == origin; });
}

bool ApiAuth::host_allowed(const HttpRequest& request) const {
  if (!options_.loopback_hosts_only) return true;
  std::string host = to_lower(trim(request.header("host")));
  // Without the port: "[::1]:8080" -> "[::1]", "localhost:8080" -> "localhost".
  const std::size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) host.resize(colon);
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]") return true;
  return std::any_of(options_.extra_hosts.begin(), options_.extra_hosts.end(),
                     [&](const std::string& extra) { return to_lower(extra) == host; });
}

std::optional<HttpResponse> ApiAuth::authorize(const HttpRequest& request, Access access) const {
  if (access == Access::kPublic) return std::nullopt;
  if (!host_allowed(request)) {
    return error_response(403, "host",
                          "the Host is not this server's loopback name (a DNS-rebinding page?)");
  }
  if (request.auth == AuthMethod::kNone) {
    if (access == Access::kRead && options_.public_read) return std::nullopt;
    HttpResponse refusal =
        request.header("authorization").empty()
            ? error_response(401, "unauthorized",
                             "authentication required: Authorization: Bearer <token> or a "
                             "session from /login?token=<token>")
            : error_response(401, "unauthorized", "the bearer token is wrong");
    refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
    return refusal;
  }
  if (request.auth == AuthMethod::kCookie &&
      (access == Access::kAction || is_unsafe_method(request.method))) {
    const std::optional<std::string> csrf = session_csrf(request);
    const std::string_view sent = request.header("x-csrf-token");
    if (!csrf || sent.empty() || !constant_time_equal(trim(sent), *csrf)) {
      return error_response(403, "csrf",
                            "a cookie-authenticated change needs the header X-CSRF-Token with "
                            "the value of the gauntlet_csrf cookie");
    }
    if (!origin_allowed(request)) {
      return error_response(403, "csrf", "the Origin is not this server's");
    }
  }
  return std::nullopt;
}

std::optional<HttpResponse> ApiAuth::authorize_websocket(const HttpRequest& request) const {
  if (!origin_allowed(request)) {
    return error_response(403, "csrf", "the Origin is not this server's");
  }
  return authorize(request, Access::kRead);
}

void ApiAuth::add_routes(Router& router) {
  router.add(
      "GET", "/login", [this](const HttpRequest& request) { return login(request); },
      Access::kPublic);
  router.add(
      "GET", "/session", [this](const HttpRequest& request) { return session(request); },
      Access::kPublic);
}

HttpResponse ApiAuth::login(const HttpRequest& request) {
  const std::optional<std::string> token = request.query_value("token");
  if (!token || !constant_time_equal(*token, token_)) {
    logger()->warn("login refused: {}", token ? "wrong token" : "no token");
    HttpResponse refusal = error_response(401, "unauthorized", "wrong or missing token");
    refusal.headers.emplace_back("Cache-Control", "no-store");
    refusal.headers.emplace_back("Referrer-Policy", "no-referrer");
    return refusal;
  }
  Session session{random_hex(kTokenBytes), random_hex(kTokenBytes)};
  HttpResponse response;
  response.status = 303;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "logged in\n";
  response.headers.emplace_back("Location", "/");
  response.headers.emplace_back(
      "Set-Cookie",
      fmt::format("{}={}; HttpOnly; SameSite=Strict; Path=/", kSessionCookie, session.id));
  response.headers.emplace_back(
      "Set-Cookie", fmt::format("{}={}; SameSite=Strict; Path=/", kCsrfCookie, session.csrf));
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  std::size_t count = 0;
  {
    const std::lock_guard lock(mutex_);
    sessions_.push_back(std::move(session));
    while (sessions_.size() > options_.max_sessions) sessions_.pop_front();
    count = sessions_.size();
  }
  logger()->info("login: new browser session sessions={}", count);
  return response;
}

HttpResponse ApiAuth::session(const HttpRequest& request) const {
  return json_response({{"authenticated", request.auth != AuthMethod::kNone},
                        {"method", to_string(request.auth)},
                        {"public_read", options_.public_read}});
}

std::size_t ApiAuth::session_count() const {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace gauntlet::ui
