#include "ui/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <set>

#include "core/logging.hpp"

namespace gauntlet::ui {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_capture_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The segments of a path that starts with '/': "/" is one empty segment, "/a/b" is {a, b}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool valid_header_text(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

HttpResponse internal_error() {
  return error_response(500, "internal_error", "the handler failed; see the server log");
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 Access access) {
  if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
      })) {
    throw ArgumentError(
        fmt::format("router: a method must be an upper-case token, was '{}'", method));
  }
  if (pattern.empty() || pattern.front() != '/') {
    throw ArgumentError(fmt::format("router: a pattern must start with '/', was '{}'", pattern));
  }
  if (!handler) throw ArgumentError(fmt::format("router: no handler for {} {}", method, pattern));
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  route.access = access;
  std::set<std::string_view> names;
  for (const std::string_view text : split_path(pattern)) {
    Segment segment;
    if (!text.empty() && text.front() == '{' && text.back() == '}') {
      const std::string_view name = text.substr(1, text.size() - 2);
      if (!is_capture_name(name) || !names.insert(name).second) {
        throw ArgumentError(
            fmt::format("router: bad or repeated capture '{}' in '{}'", text, pattern));
      }
      segment.capture = true;
      segment.text = std::string(name);
    } else {
      if (text.find_first_of("{}%?#") != std::string_view::npos) {
        throw ArgumentError(fmt::format(
            "router: a literal segment may not hold '{{', '}}', '%', '?' or '#', was '{}' in "
            "'{}'",
            text, pattern));
      }
      segment.text = std::string(text);
    }
    route.segments.push_back(std::move(segment));
  }
  const auto same_shape = [](const Route& a, const Route& b) {
    if (a.segments.size() != b.segments.size()) return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].capture != b.segments[i].capture) return false;
      if (!a.segments[i].capture && a.segments[i].text != b.segments[i].text) return false;
    }
    return true;
  };
  for (const Route& existing : routes_) {
    if (existing.method == route.method && same_shape(existing, route)) {
      throw ArgumentError(fmt::format("router: {} {} is registered twice (as {})", method, pattern,
                                      existing.pattern));
    }
  }
  route.handler = std::make_shared<const Handler>(std::move(handler));
  routes_.push_back(std::move(route));
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> result;
  result.reserve(routes_.size());
  for (const Route& route : routes_) result.push_back({route.method, route.pattern, route.access});
  return result;
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/') {
    result.refusal = error_response(400, "bad_request", "the request target must be a path");
    return result;
  }
  std::vector<std::string> segments;
  for (const std::string_view raw : split_path(path)) {
    std::optional<std::string> decoded = percent_decode(raw, false);
    if (!decoded) {
      result.refusal = error_response(400, "bad_request", "the path has a malformed %-escape");
      return result;
    }
    segments.push_back(std::move(*decoded));
  }

  // The best route for the method, and whether any route matches the path at all.
  const Route* best = nullptr;
  std::set<std::string> allowed;
  const auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].capture != b.segments[i].capture) return !a.segments[i].capture;
    }
    return false;
  };
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      const Segment& segment = route.segments[i];
      matches = segment.capture ? !segments[i].empty() : segment.text == segments[i];
    }
    if (!matches) continue;
    allowed.insert(route.method);
    if (route.method != method) continue;
    if (best == nullptr || more_specific(route, *best)) best = &route;
  }

  if (best != nullptr) {
    result.handler = best->handler;
    result.access = best->access;
    result.pattern = best->pattern;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (best->segments[i].capture) result.params[best->segments[i].text] = segments[i];
    }
    return result;
  }
  if (allowed.empty()) {
    result.refusal = error_response(
        404, "not_found", fmt::format("no route for {} {}", method, std::string_view(path)));
    return result;
  }
  std::string allow;
  for (const std::string& name : allowed) allow += (allow.empty() ? "" : ", ") + name;
  result.refusal = error_response(
      405, "method_not_allowed",
      fmt::format("{} is not allowed on {}; allowed: {}", method, std::string_view(path), allow));
  result.refusal->headers.emplace_back("Allow", allow);
  return result;
}

HttpResponse call_handler(const Handler& handler, const HttpRequest& request) {
  static const auto log = module_logger("http_server");
  HttpResponse response;
  try {
    response = handler(request);
  } catch (const HttpError& error) {
    if (error.status() < 400 || error.status() > 599) {
      log->error("handler error method={} path={} status={} (not 4xx/5xx) message={}",
                 request.method, request.path, error.status(), error.what());
      return internal_error();
    }
    return error_response(error.status(), error.code(), error.what());
  } catch (const std::exception& error) {
    log->error("handler threw method={} path={} error={}", request.method, request.path,
               error.what());
    return internal_error();
  } catch (...) {
    log->error("handler threw method={} path={} error=(not a std::exception)", request.method,
               request.path);
    return internal_error();
  }
  if (response.status < 200 || response.status > 599) {
    log->error("handler answered an invalid status method={} path={} status={}", request.method,
               request.path, response.status);
    return internal_error();
  }
  bool headers_ok = valid_header_text(response.content_type);
  for (const auto& [name, value] : response.headers) {
    headers_ok = headers_ok && valid_header_name(name) && valid_header_text(value);
  }
  if (!headers_ok) {
    log->error("handler answered a malformed header method={} path={}", request.method,
               request.path);
    return internal_error();
  }
  return response;
}

}  // namespace gauntlet::ui
