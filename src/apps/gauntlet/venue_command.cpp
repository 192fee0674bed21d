// File: apps/gauntlet/venue_command.cpp
//
// `gauntlet venue bybit`: the local Bybit (docs/local-venues.md). A VenueServer serves Bybit
// V5's public REST and WebSocket on one port (127.0.0.1 unless --host says otherwise) and a
// MarketDriver feeds it closed 1-minute bars of the simulated market or of a replay of the bar
// store, and an Exchange (venues/bybit/exchange.hpp) serves the private API on the same port:
// signed REST (orders, executions, positions, wallet) and the private WebSocket, for an
// account whose key and secret are given (--key, --secret) or made up and printed, and one more
// per --account. The first line printed carries the URLs, then one line per account, then the
// fault control route and its token (faults switched at run time, fault_control.hpp); the
// command serves until SIGINT or SIGTERM, then exits 0.
#include <fmt/format.h>
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "brokers/sim/sim_broker.hpp"
#include "core/decimal.hpp"
#include "core/exceptions.hpp"
#include "core/symbol.hpp"
#include "core/time.hpp"
#include "venues/bybit/local_bybit.hpp"

namespace gauntlet::apps {
namespace {

struct VenueCommandOptions {
  int port = 0;
  std::string host = "127.0.0.1";
  std::string config_file = "config/default.yaml";
  std::vector<std::string> symbols;
  std::string market = "simulated";
  std::string data_root;
  std::string from;
  std::string rebase;
  double speed = 1;
  uint64_t seed = 1;
  std::string key;
  std::string secret;
  std::string usdt = "10000";
  std::vector<std::string> accounts;  // KEY:SECRET[:USDT], more accounts
  std::string control_token;
};

// A key or secret of `length` characters of [A-Za-z0-9], from the system's entropy.
std::string made_up_credential(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device entropy;
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string text(length, ' ');
  for (char& c : text) c = kAlphabet[pick(entropy)];
  return text;
}

struct VenueAccount {
  brokers::bybit::ApiCredentials credentials;
  Decimal usdt;
};

Decimal parse_usdt(const std::string& option, const std::string& text) {
  Decimal usdt;
  try {
    usdt = Decimal::parse(text);
  } catch (const DecimalError& error) {
    throw ArgumentError(fmt::format("{} {}: {}", option, text, error.what()));
  }
  if (usdt.is_negative())
    throw ArgumentError(fmt::format("{} must not be negative, was {}", option, text));
  return usdt;
}

// The first account (--key, --secret, --usdt; made up when not given), then one per --account.
std::vector<VenueAccount> venue_accounts(const VenueCommandOptions& o) {
  if (o.key.empty() != o.secret.empty())
    throw ArgumentError("--key and --secret go together (or neither, to have them made up)");
  std::vector<VenueAccount> accounts;
  accounts.push_back({{o.key.empty() ? made_up_credential(18) : o.key,
                       o.secret.empty() ? made_up_credential(36) : o.secret},
                      parse_usdt("--usdt", o.usdt)});
  for (const std::string& text : o.accounts) {
    const std::size_t first = text.find(':');
    const std::size_t second = first == std::string::npos ? first : text.find(':', first + 1);
    if (first == std::string::npos || first == 0 || second == first + 1 ||
        first + 1 == text.size()) {
      throw ArgumentError(fmt::format("--account {}: use KEY:SECRET or KEY:SECRET:USDT", text));
    }
    VenueAccount account{{text.substr(0, first), text.substr(first + 1, second - first - 1)},
                         accounts.front().usdt};
    if (second != std::string::npos)
      account.usdt = parse_usdt("--account", text.substr(second + 1));
    for (const VenueAccount& other : accounts) {
      if (other.credentials.key == account.credentials.key)
        throw ArgumentError(fmt::format("--account {}: the key is given twice", text));
    }
    accounts.push_back(std::move(account));
  }
  return accounts;
}

// SIGINT and SIGTERM blocked in this thread and every thread it starts from now on, so that
// wait_for_stop() receives them; restored by the destructor.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~StopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits up to `seconds` for SIGINT or SIGTERM; true when one came.
  bool wait_for_stop(int seconds) const {
    const timespec timeout{seconds, 0};
    return sigtimedwait(&signals_, nullptr, &timeout) > 0;
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
};

venues::bybit::MarketDriverOptions market_options(const VenueCommandOptions& o,
                                                  const config::Config& config) {
  venues::bybit::MarketDriverOptions options;
  const std::optional<venues::bybit::MarketSource> source =
      venues::bybit::market_source_from_string(o.market);
  if (!source) throw ArgumentError(fmt::format("--market {}: use simulated or replay", o.market));
  options.source = *source;
  for (const std::string& text : o.symbols) {
    try {
      options.symbols.push_back(Symbol::parse(text));
    } catch (const SymbolError& error) {
      throw ArgumentError(fmt::format("--symbols {}: {}", text, error.what()));
    }
  }
  if (!(o.speed > 0)) throw ArgumentError(fmt::format("--speed must be positive, was {}", o.speed));
  options.speed = o.speed;
  options.seed = o.seed;
  if (!o.from.empty()) {
    try {
      options.from = parse_iso8601(o.from);
    } catch (const TimeError& error) {
      throw ArgumentError(fmt::format("--from {}: {}", o.from, error.what()));
    }
  }
  if (o.rebase == "now") {
    options.rebase_to = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  } else if (!o.rebase.empty()) {
    try {
      options.rebase_to = parse_iso8601(o.rebase);
    } catch (const TimeError& error) {
      throw ArgumentError(fmt::format("--rebase {}: {}", o.rebase, error.what()));
    }
  }
  if (options.rebase_to && options.source != venues::bybit::MarketSource::kReplay)
    throw ArgumentError("--rebase re-dates a replay: use it with --market replay");
  options.data_root = o.data_root.empty() ? config.historical_data_path : o.data_root;
  return options;
}

int serve_bybit(const VenueCommandOptions& o) {
  std::optional<config::Config> config = load_config_or_report(o.config_file);
  if (!config) return kExitInvalidConfig;
  if (o.port < 0 || o.port > 65535) {
    throw ArgumentError(fmt::format("--port must be within 0..65535, was {}", o.port));
  }
  const venues::bybit::MarketDriverOptions options = market_options(o, *config);

  const std::vector<VenueAccount> accounts = venue_accounts(o);
  const std::string control_token =
      o.control_token.empty() ? made_up_credential(24) : o.control_token;

  const StopSignals stop;  // before any thread starts, so that they all leave the signals here
  // The private side: fees from the config's FEE_MODEL, the instruments' rules as published.
  venues::bybit::ExchangeOptions exchange_options;
  exchange_options.fees = brokers::venue_fees(config->fee_model);
  venues::bybit::LocalBybit venue({o.host, static_cast<unsigned short>(o.port), control_token},
                                  options, exchange_options);
  venues::bybit::MarketDriver& market = venue.market();
  for (const VenueAccount& account : accounts)
    venue.exchange().add_account(account.credentials, account.usdt);
  const venues::bybit::VenueServer& server = venue.server();

  std::cout << "REST " << server.rest_url() << "  public WS "
            << server.rest_url().replace(0, 4, "ws") << "/v5/public/{spot,linear}"
            << "  private WS " << server.rest_url().replace(0, 4, "ws") << "/v5/private"
            << std::endl;
  for (const VenueAccount& account : accounts) {
    std::cout << fmt::format("account: API key {}  secret {}  {} USDT (unified)",
                             account.credentials.key, account.credentials.secret, account.usdt)
              << std::endl;
  }
  std::cout << fmt::format("faults: GET or POST {}/venue/faults with X-Venue-Token: {}",
                           server.rest_url(), control_token)
            << std::endl;
  std::cout << fmt::format(
                   "gauntlet venue bybit: {} market{}, {} instruments, bars from {} at {} per "
                   "wall minute; Ctrl-C stops",
                   venues::bybit::to_string(options.source),
                   options.source == venues::bybit::MarketSource::kSimulated
                       ? fmt::format(" (seed {})", options.seed)
                       : " of " + options.data_root.string(),
                   market.instruments().size(), format_iso8601(market.next_open_time()),
                   options.speed)
            << std::endl;
  market.start();
  bool announced_end = false;
  while (!stop.wait_for_stop(1)) {
    if (!announced_end && market.finished()) {
      announced_end = true;
      std::cout << "gauntlet venue bybit: the replay reached its last bar ("
                << format_iso8601(market.next_open_time()) << "); still serving" << std::endl;
    }
  }
  return kExitOk;
}

}  // namespace

void add_venue_commands(CLI::App& app, int& exit_code) {
  CLI::App* venue = app.add_subcommand(
      "venue", "Serve a local venue to rehearse on: a venue's real wire protocol on loopback");
  venue->require_subcommand(1);
  auto options = std::make_shared<VenueCommandOptions>();
  CLI::App* bybit = venue->add_subcommand(
      "bybit",
      "Bybit V5 REST and WebSocket, public and private (orders, positions, wallet), on the "
      "simulated market or a replay; any Bybit client can point at it");
  bybit->add_option("--port", options->port, "Port (0: any free port, printed)")
      ->capture_default_str();
  bybit->add_option("--host", options->host, "Address to listen on (an IP address)")
      ->capture_default_str();
  bybit->add_option("--config", options->config_file, "Configuration file")->capture_default_str();
  bybit
      ->add_option("--symbols", options->symbols,
                   "Symbols served, comma-separated (default: every symbol of the market)")
      ->delimiter(',');
  bybit->add_option("--market", options->market, "simulated | replay")->capture_default_str();
  bybit->add_option("--data-root", options->data_root,
                    "Replay: the bar store (default: the config's historical_data_path)");
  bybit->add_option("--from", options->from,
                    "First bar after the history window, ISO-8601 (default: simulated, now; "
                    "replay, a day after the first stored bar)");
  bybit->add_option("--rebase", options->rebase,
                    "Replay: re-date the bars so that the first one after the history opens at "
                    "this minute, ISO-8601 or now (now with --speed 1: a replay that looks live)");
  bybit->add_option("--speed", options->speed, "Bars per wall-clock minute (60: a bar a second)")
      ->capture_default_str();
  bybit->add_option("--seed", options->seed, "Simulated market: seed")->capture_default_str();
  bybit->add_option("--key", options->key, "The account's API key (default: made up, printed)");
  bybit->add_option("--secret", options->secret,
                    "The account's API secret (default: made up, printed)");
  bybit->add_option("--usdt", options->usdt, "The account's starting USDT (unified wallet)")
      ->capture_default_str();
  bybit->add_option("--account", options->accounts,
                    "Another account, KEY:SECRET or KEY:SECRET:USDT (repeatable; USDT defaults "
                    "to --usdt)");
  bybit->add_option("--control-token", options->control_token,
                    "The token of the fault control route /venue/faults (default: made up, "
                    "printed)");
  bybit->callback([options, &exit_code] { exit_code = serve_bybit(*options); });
}

}  // namespace gauntlet::apps
