// File: apps/gauntlet/diff_command.cpp
//
// `gauntlet diff`: the dry-run diff of a paper session (orders/diff_engine.hpp) - what the live
// venue would have done with the session's journaled orders: its prices (the next bar of a
// bar store holding the venue's bars), its fees (FEE_MODEL) and its rules (a Bybit
// instruments-info response), as a table or JSON. Reads the session's state; changes nothing.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "apps/gauntlet/commands.hpp"
#include "brokers/bybit/public_parse.hpp"
#include "brokers/sim/sim_broker.hpp"
#include "core/config_manager.hpp"
#include "core/exceptions.hpp"
#include "core/store/sqlite_store.hpp"
#include "core/time.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "orders/diff_engine.hpp"
#include "orders/order_journal.hpp"

namespace gauntlet::apps {
namespace {

struct DiffOptions {
  std::string state = "state";
  std::string prices;
  std::string asset = "spot";
  std::string since;
  std::string venue;
  std::string timeframe = "1m";
  double half_spread_bps = 1.0;
  std::string instruments;
  std::string config_file = "config/default.yaml";
  bool json = false;
};

int diff(const DiffOptions& o) {
  const auto asset = asset_from_string(o.asset);
  if (!asset)
    throw ArgumentError(fmt::format("--asset {}: use spot, perp, forex or options", o.asset));
  const auto timeframe = timeframe_from_string(o.timeframe);
  if (!timeframe) throw ArgumentError(fmt::format("--timeframe {}: not a timeframe", o.timeframe));
  const std::filesystem::path database = std::filesystem::path(o.state) / "gauntlet.db";
  if (!std::filesystem::exists(database))
    throw ArgumentError(
        fmt::format("--state {}: no session there ({} is missing)", o.state, database.string()));
  const config::Config config = load_config(o.config_file);
  store::SqliteOptions open_options;
  open_options.mode = store::OpenMode::kVerifyExisting;
  auto store = store::SqliteStore::open(database, open_options);
  const orders::OrderJournal journal(*store);
  const data::BarStore prices(o.prices);
  std::string venue = o.venue;
  if (venue.empty()) {
    for (const data::SeriesKey& key : prices.list()) {
      if (key.domain == *asset) {
        venue = key.venue;
        break;
      }
    }
    if (venue.empty())
      throw ArgumentError(fmt::format("--prices {} holds no {} bars", o.prices, o.asset));
  }
  std::map<std::string, data::InstrumentInfo> rules;
  if (!o.instruments.empty()) {
    const auto category = brokers::bybit::category_of(*asset);
    if (!category) throw ArgumentError("--instruments: Bybit rules are for spot and perp only");
    for (const data::InstrumentInfo& info :
         brokers::bybit::parse_instruments_page(data::read_maybe_gzip(o.instruments), *category)
             .instruments)
      rules[info.symbol.canonical()] = info;
  }
  const orders::DiffEngine engine(
      journal, orders::bar_price_lookup(prices, venue, *timeframe, o.half_spread_bps),
      brokers::venue_fees(config.fee_model), [&](Asset, const Symbol& symbol) {
        const auto found = rules.find(symbol.canonical());
        return found == rules.end() ? data::InstrumentInfo{} : found->second;
      });
  const orders::DiffReport report =
      engine.compare(*asset, o.since.empty() ? 0 : parse_iso8601(o.since));
  if (o.json) {
    fmt::print("{}\n", orders::to_json(report).dump(2));
  } else {
    fmt::print("{}", orders::to_text(report));
  }
  return kExitOk;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DiffOptions>();
  CLI::App* command = app.add_subcommand(
      "diff", "What live would have done with a paper session's orders (prices, fees, rules)");
  command->add_option("--state", options->state, "The paper session's state directory")
      ->capture_default_str();
  command->add_option("--prices", options->prices, "A bar store with the live venue's bars")
      ->required();
  command->add_option("--asset", options->asset, "spot, perp, forex or options")
      ->capture_default_str();
  command->add_option("--since", options->since, "Orders sent from this time, ISO-8601");
  command->add_option("--venue", options->venue,
                      "The venue of the bars in --prices (default: the first with the asset)");
  command->add_option("--timeframe", options->timeframe, "The bars' timeframe")
      ->capture_default_str();
  command
      ->add_option("--half-spread-bps", options->half_spread_bps,
                   "Added against us to every live price")
      ->capture_default_str();
  command->add_option("--instruments", options->instruments,
                      "The venue's rules: a Bybit instruments-info response (JSON)");
  command->add_option("--config", options->config_file, "Configuration (FEE_MODEL)")
      ->capture_default_str();
  command->add_flag("--json", options->json, "The report as JSON");
  command->callback([options, &exit_code] { exit_code = diff(*options); });
}

}  // namespace gauntlet::apps
