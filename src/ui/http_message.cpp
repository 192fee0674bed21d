#include "ui/http_message.hpp"

#include "core/text.hpp"

namespace gauntlet::ui {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kPublic:
      return "public";
    case Access::kRead:
      return "read";
    case Access::kAction:
      return "action";
  }
  return "unknown";
}

std::string_view to_string(AuthMethod method) {
  switch (method) {
    case AuthMethod::kNone:
      return "none";
    case AuthMethod::kCookie:
      return "cookie";
    case AuthMethod::kBearer:
      return "bearer";
  }
  return "unknown";
}

std::string_view HttpRequest::header(std::string_view lower_case_name) const {
  const auto found = headers.find(std::string(lower_case_name));
  if (found == headers.end()) return {};
  return found->second;
}

std::optional<std::string> HttpRequest::query_value(std::string_view name) const {
  const auto found = query.find(std::string(name));
  if (found == query.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  return find_cookie(header("cookie"), name);
}

HttpResponse json_response(const nlohmann::json& value, int status) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  return json_response({{"error", code}, {"message", message}}, status);
}

nlohmann::json parse_json_body(const HttpRequest& request) {
  nlohmann::json value = nlohmann::json::parse(request.body, nullptr, false);
  if (value.is_discarded()) throw HttpError(400, "bad_request", "the body is not valid JSON");
  return value;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string result;
  result.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      result.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      result.push_back(' ');
    } else {
      result.push_back(c);
    }
  }
  return result;
}

std::string percent_encode(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
                            byte == '_' || byte == '~';
    if (unreserved) {
      result.push_back(c);
    } else {
      result.push_back('%');
      result.push_back(kHex[byte >> 4]);
      result.push_back(kHex[byte & 0x0F]);
    }
  }
  return result;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view text) {
  std::map<std::string, std::string> result;
  while (!text.empty()) {
    const std::size_t end = text.find('&');
    const std::string_view pair = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    std::optional<std::string> name = percent_decode(pair.substr(0, equals), true);
    std::optional<std::string> value = equals == std::string_view::npos
                                           ? std::string()
                                           : percent_decode(pair.substr(equals + 1), true);
    if (!name || !value) return std::nullopt;
    if (name->empty()) continue;
    result.insert_or_assign(std::move(*name), std::move(*value));
  }
  return result;
}

std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const std::size_t end = cookie_header.find(';');
    const std::string_view pair = trim(cookie_header.substr(0, end));
    cookie_header =
        end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (trim(pair.substr(0, equals)) != name) continue;
    std::string_view value = trim(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace gauntlet::ui
