// File: apps/gauntlet/live_command.cpp
//
// `gauntlet live enable|disable ASSET --url URL`: the live toggle of a running session from the
// command line, through its control-plane API (POST /live/{asset}/enable or /disable, docs/api.md)
// with the session's token (STATE/api_token). It prints the session's answer: the first reason
// the asset may not go live, "pending: ..." while its paper book is flattened, or that it is live.
// Exit codes: 0 done (or pending), 1 refused or unreachable.
#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/gauntlet/commands.hpp"
#include "core/asio.hpp"
#include "core/exceptions.hpp"
#include "core/text.hpp"

namespace gauntlet::apps {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct LiveCommandOptions {
  std::string action;  // enable | disable
  std::string asset;
  std::string url = "http://127.0.0.1:8080";
  std::string config_file = "config/default.yaml";
  std::string state;
};

struct Endpoint {
  std::string host;
  std::string port;
};

Endpoint endpoint_of(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    throw ArgumentError(fmt::format(
        "--url {}: the session's API as http://HOST:PORT (gauntlet run --port prints it)", url));
  }
  std::string rest = url.substr(kScheme.size());
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 == rest.size())
    throw ArgumentError(fmt::format("--url {}: name the port, e.g. http://127.0.0.1:8080", url));
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

std::string read_token(const std::filesystem::path& state) {
  std::ifstream in(state / "api_token");
  std::string token;
  if (!in || !std::getline(in, token) || trim(token).empty()) {
    throw ArgumentError(
        fmt::format("no API token in {}: --state must be the running session's state directory",
                    (state / "api_token").string()));
  }
  return std::string(trim(token));
}

int live(const LiveCommandOptions& o) {
  std::string state = o.state;
  if (state.empty()) {
    const std::optional<config::Config> config = load_config_or_report(o.config_file);
    if (!config) return kExitInvalidConfig;
    state = config->state_dir;
  }
  const std::string token = read_token(state);
  const Endpoint endpoint = endpoint_of(o.url);
  const std::string target = fmt::format("/live/{}/{}", o.asset, o.action);

  asio::io_context io;
  beast::tcp_stream stream(io);
  http::response<http::string_body> response;
  try {
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::resolver(io).resolve(endpoint.host, endpoint.port));
    http::request<http::string_body> request{http::verb::post, target, 11};
    request.set(http::field::host, endpoint.host);
    request.set(http::field::authorization, "Bearer " + token);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::read(stream, buffer, response);
  } catch (const boost::system::system_error& error) {
    std::cerr << fmt::format("gauntlet live: {} unreachable: {}\n", o.url, error.what());
    return kExitFailure;
  }
  const nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
  const auto text = [&](const char* key) {
    return body.is_object() && body.contains(key) && body[key].is_string()
               ? body[key].get<std::string>()
               : std::string();
  };
  if (response.result() == http::status::ok) {
    const std::string reason = text("reason");
    std::cout << fmt::format("{} {}: {}\n", o.asset, o.action == "enable" ? "live" : "on paper",
                             reason.empty() ? "done" : reason);
    return kExitOk;
  }
  const std::string reason = text("message").empty() ? response.body() : text("message");
  std::cerr << fmt::format("gauntlet live {} {}: refused (HTTP {}): {}\n", o.action, o.asset,
                           response.result_int(), reason);
  return kExitFailure;
}

}  // namespace

void add_live_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<LiveCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "live",
      "Move an asset of a running session to its live venue or back (its API: gauntlet run "
      "--venue bybit --port N)");
  command->add_option("action", options->action, "enable | disable")
      ->required()
      ->check(CLI::IsMember({"enable", "disable"}));
  command->add_option("asset", options->asset, "spot | perp | forex | options")
      ->required()
      ->check(CLI::IsMember({"spot", "perp", "forex", "options"}));
  command->add_option("--url", options->url, "The session's API")->capture_default_str();
  command->add_option("--state", options->state,
                      "The session's state directory, where its API token is (default: the "
                      "config's state_dir)");
  command->add_option("--config", options->config_file, "Configuration file (for state_dir)")
      ->capture_default_str();
  command->callback([options, &exit_code] { exit_code = live(*options); });
}

}  // namespace gauntlet::apps
