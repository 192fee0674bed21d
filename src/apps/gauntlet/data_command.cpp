// `gauntlet data ...`: import, check, resample, list and export bars at rest.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "core/exceptions.hpp"
#include "core/wall_clock.hpp"
#include "data/backfill.hpp"
#include "data/bar_checks.hpp"
#include "data/bar_import.hpp"
#include "data/bar_store.hpp"
#include "data/resampler.hpp"

namespace gauntlet::apps {
namespace {

namespace fs = std::filesystem;
using data::BarSeries;
using data::BarStore;
using data::SeriesKey;

// The options every command that names a series shares.
struct SeriesOptions {
  std::string data_root = "data";
  std::string symbol;
  std::string timeframe;
  std::string venue;
  std::string domain;
  std::string from;
  std::string to;
};

void add_root(CLI::App* command, SeriesOptions& options) {
  command->add_option("--data-root", options.data_root, "Bar store root")->capture_default_str();
}

void add_series(CLI::App* command, SeriesOptions& options, bool symbol_required) {
  add_root(command, options);
  auto* symbol =
      command->add_option("--symbol", options.symbol, "Symbol, any spelling (BTC/USDT, EUR.USD)");
  if (symbol_required) symbol->required();
  command->add_option("--venue", options.venue, "Venue, when the symbol is stored under several");
  command->add_option("--domain", options.domain, "spot, perp, forex or options, when several");
  command->add_option("--from", options.from, "Start, ISO-8601 (inclusive)");
  command->add_option("--to", options.to, "End, ISO-8601 (exclusive)");
}

TimestampMs time_or(const std::string& text, TimestampMs fallback) {
  return text.empty() ? fallback : parse_iso8601(text);
}

std::optional<Asset> parse_domain(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (auto asset = asset_from_string(text)) return asset;
  throw GauntletError(fmt::format("--domain must be spot, perp, forex or options (got {})", text));
}

// The stored series matching the options; with `one_each`, exactly one venue/domain.
std::vector<SeriesKey> find_series(const BarStore& store, const SeriesOptions& options,
                                   bool one_venue) {
  const std::optional<Symbol> symbol =
      options.symbol.empty() ? std::nullopt : std::optional(Symbol::parse(options.symbol));
  const std::optional<Timeframe> timeframe =
      options.timeframe.empty() ? std::nullopt : std::optional(parse_timeframe(options.timeframe));
  const std::optional<Asset> domain = parse_domain(options.domain);
  std::vector<SeriesKey> found;
  std::set<std::string> places;
  for (const SeriesKey& key : store.list()) {
    if (symbol && key.symbol != *symbol) continue;
    if (timeframe && key.timeframe != *timeframe) continue;
    if (!options.venue.empty() && key.venue != options.venue) continue;
    if (domain && key.domain != *domain) continue;
    found.push_back(key);
    places.insert(fmt::format("{}/{}", key.venue, to_string(key.domain)));
  }
  if (one_venue && places.size() > 1) {
    throw GauntletError(fmt::format("{} is stored under {}; pass --venue and --domain",
                                    symbol ? symbol->canonical() : "the symbol",
                                    fmt::join(places, " and ")));
  }
  return found;
}

std::string span_text(const BarStore& store, const SeriesKey& key) {
  const auto first = store.first_bar_time(key);
  const auto last = store.last_bar_time(key);
  if (!first || !last) return "empty";
  return fmt::format("{} .. {}", format_iso8601(*first).substr(0, 16),
                     format_iso8601(*last).substr(0, 16));
}

void print_rejections(const data::ImportedBars& imported) {
  if (imported.rejected == 0) return;
  std::vector<std::string> reasons;
  for (const auto& [reason, count] : imported.rejected_by_reason)
    reasons.push_back(fmt::format("{} {}", count, reason));
  fmt::print("    rejected {} row{}: {}\n", imported.rejected, imported.rejected == 1 ? "" : "s",
             fmt::join(reasons, ", "));
  for (std::size_t i = 0; i < std::min<std::size_t>(3, imported.examples.size()); ++i) {
    fmt::print("      e.g. {}\n", imported.examples[i]);
  }
}

std::vector<fs::path> expand_paths(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const std::string& path : paths) {
    if (fs::is_directory(path)) {
      std::vector<fs::path> inside;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) inside.push_back(entry.path());
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.emplace_back(path);
    }
  }
  return files;
}

struct ImportOptions {
  std::vector<std::string> paths;
  SeriesOptions series;
};

int run_import(const ImportOptions& options) {
  BarStore store(options.series.data_root);
  const auto files = expand_paths(options.paths);
  int failures = 0;
  std::size_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const fs::path& file = files[i];
    try {
      data::ImportGuess guess = data::guess_import(file);
      if (!options.series.symbol.empty()) guess.symbol = Symbol::parse(options.series.symbol);
      if (!options.series.venue.empty()) guess.venue = options.series.venue;
      if (auto domain = parse_domain(options.series.domain)) guess.domain = domain;
      if (!guess.symbol) {
        throw DataError(
            fmt::format("{}: cannot tell the symbol; pass --symbol", file.filename().string()));
      }
      if (!guess.domain) guess.domain = data::default_domain(*guess.symbol);
      const std::optional<Timeframe> timeframe =
          options.series.timeframe.empty()
              ? std::nullopt
              : std::optional(parse_timeframe(options.series.timeframe));
      const data::ImportedBars imported = data::read_bar_file(file, guess, timeframe);
      const SeriesKey key{guess.venue, *guess.domain, *guess.symbol, imported.timeframe};
      const data::UpsertResult result = store.upsert_bars(key, imported.bars);
      total += imported.bars.size();
      fmt::print("[{}/{}] {} ({}): {} bars into {} ({} new, {} replaced, {} day files)\n", i + 1,
                 files.size(), file.filename().string(), to_string(guess.format),
                 imported.bars.size(), to_string(key), result.inserted, result.replaced,
                 result.partitions);
      print_rejections(imported);
    } catch (const GauntletError& error) {
      ++failures;
      fmt::print(stderr, "[{}/{}] skipped: {}\n", i + 1, files.size(), error.what());
    }
  }
  fmt::print("imported {} bars from {} of {} files into {}\n", total, files.size() - failures,
             files.size(), options.series.data_root);
  return failures == static_cast<int>(files.size()) && !files.empty() ? kExitFailure : kExitOk;
}

void print_report(const std::string& what, const data::CheckReport& report, Timeframe timeframe) {
  fmt::print(
      "{}: {} bars, {} bad rows, {} duplicates, {} out of order, {} gaps ({} missing {} bars)\n",
      what, report.bars, report.bad_rows, report.duplicates, report.out_of_order, report.gaps,
      report.missing_bars, to_string(timeframe));
  for (std::size_t i = 0; i < std::min<std::size_t>(5, report.gap_ranges.size()); ++i) {
    fmt::print("    gap {} .. {}\n", format_iso8601(report.gap_ranges[i].from),
               format_iso8601(report.gap_ranges[i].to));
  }
  for (const std::string& example : report.examples) fmt::print("    {}\n", example);
}

int run_check(const ImportOptions& options) {
  bool clean = true;
  if (!options.paths.empty()) {
    for (const fs::path& file : expand_paths(options.paths)) {
      try {
        const data::ImportGuess guess = data::guess_import(file);
        const std::optional<Timeframe> timeframe =
            options.series.timeframe.empty()
                ? std::nullopt
                : std::optional(parse_timeframe(options.series.timeframe));
        // Check the rows as the file has them, rejected rows included.
        data::ImportedBars imported = data::read_bar_file(file, guess, timeframe);
        const data::CheckReport report = data::check_bars(imported.bars, imported.timeframe);
        print_report(file.filename().string(), report, imported.timeframe);
        print_rejections(imported);
        clean = clean && report.clean() && imported.rejected == 0;
      } catch (const GauntletError& error) {
        fmt::print(stderr, "{}: {}\n", file.string(), error.what());
        clean = false;
      }
    }
    return clean ? kExitOk : kExitFailure;
  }
  const BarStore store(options.series.data_root);
  const auto keys = find_series(store, options.series, false);
  if (keys.empty())
    throw DataError(fmt::format("no series in {} matches", options.series.data_root));
  for (const SeriesKey& key : keys) {
    const BarSeries bars = store.load_bars(key, time_or(options.series.from, INT64_MIN / 2),
                                           time_or(options.series.to, INT64_MAX / 2));
    const data::CheckReport report = data::check_bars(bars.to_bars(), key.timeframe);
    print_report(to_string(key), report, key.timeframe);
    clean = clean && report.clean();
  }
  return clean ? kExitOk : kExitFailure;
}

struct ResampleOptions {
  SeriesOptions series;
  std::string from_timeframe = "1m";
  std::string to_timeframe;
};

int run_resample(const ResampleOptions& options) {
  BarStore store(options.series.data_root);
  SeriesOptions source_options = options.series;
  source_options.timeframe = options.from_timeframe;
  const auto keys = find_series(store, source_options, true);
  if (keys.empty()) {
    throw DataError(fmt::format("no {} bars of {} in {}", options.from_timeframe,
                                options.series.symbol, options.series.data_root));
  }
  const SeriesKey& source = keys.front();
  SeriesKey target = source;
  target.timeframe = parse_timeframe(options.to_timeframe);
  const BarSeries bars = store.load_bars(source, time_or(options.series.from, INT64_MIN / 2),
                                         time_or(options.series.to, INT64_MAX / 2));
  const BarSeries resampled = data::resample(bars, source.timeframe, target.timeframe);
  const auto result = store.upsert_bars(target, resampled.to_bars());
  fmt::print("resampled {} {} bars into {} {} bars of {} ({} new, {} replaced)\n", bars.size(),
             to_string(source.timeframe), resampled.size(), to_string(target.timeframe),
             to_string(target), result.inserted, result.replaced);
  return kExitOk;
}

int run_list(const SeriesOptions& options) {
  const BarStore store(options.data_root);
  const auto keys = store.list();
  fmt::print("{:<10} {:<8} {:<14} {:<4} {:>9}  {}\n", "venue", "domain", "symbol", "tf", "bars",
             "span (UTC)");
  for (const SeriesKey& key : keys) {
    fmt::print("{:<10} {:<8} {:<14} {:<4} {:>9}  {}\n", key.venue, to_string(key.domain),
               key.symbol.canonical(), to_string(key.timeframe), store.count_bars(key),
               span_text(store, key));
  }
  fmt::print("{} series in {}\n", keys.size(), options.data_root);
  return kExitOk;
}

struct ExportOptions {
  SeriesOptions series;
  std::string out;
};

int run_export(const ExportOptions& options) {
  const BarStore store(options.series.data_root);
  const auto keys = find_series(store, options.series, true);
  if (keys.empty()) {
    throw DataError(fmt::format("no {} bars of {} in {}", options.series.timeframe,
                                options.series.symbol, options.series.data_root));
  }
  const BarSeries bars = store.load_bars(keys.front(), time_or(options.series.from, INT64_MIN / 2),
                                         time_or(options.series.to, INT64_MAX / 2));
  std::ofstream out(options.out, std::ios::trunc);
  if (!out) throw DataError(fmt::format("cannot write {}", options.out));
  data::write_bar_csv(out, bars);
  fmt::print("exported {} bars of {} to {}\n", bars.size(), to_string(keys.front()), options.out);
  return kExitOk;
}

struct FetchOptions {
  SeriesOptions series;
  std::string base_url = "https://api.bybit.com";
};

int run_fetch(const FetchOptions& options) {
  const Symbol symbol = Symbol::parse(options.series.symbol);
  const Timeframe timeframe = parse_timeframe(options.series.timeframe);
  const Asset domain = parse_domain(options.series.domain).value_or(Asset::kSpot);
  if (domain != Asset::kSpot && domain != Asset::kPerp) {
    throw GauntletError("--domain must be spot or perp for Bybit");
  }
  asio::io_context loop;
  EventBus bus(loop);
  WallClock clock(loop);
  BarStore store(options.series.data_root);
  data::DataManager manager("bybit", domain, store, bus, clock);
  brokers::bybit::RestConfig rest;
  rest.base_url = options.base_url;
  brokers::bybit::RestClient client(loop, rest);
  data::RateLimiter limiter(clock, {10.0, 10.0});
  data::connect_rate_limiter(client, limiter, clock);
  const TimestampMs from = parse_iso8601(options.series.from);
  const TimestampMs to = time_or(options.series.to, clock.now_ms());
  fmt::print("fetching {} {} bars of bybit/{}/{} from {} to {} (only what the store lacks)\n",
             to_string(timeframe), symbol.canonical(), to_string(domain), symbol.canonical(),
             format_iso8601(from), format_iso8601(to));
  std::exception_ptr failure;
  data::BackfillResult result;
  asio::co_spawn(
      loop,
      data::fetch_klines_async(manager, client, clock, symbol, timeframe, from, to, {},
                               [](const data::BackfillProgress& progress) {
                                 fmt::print("  [{}/{}] {} bars stored\n", progress.requests_done,
                                            progress.requests_total, progress.bars_stored);
                               }),
      [&](std::exception_ptr error, data::BackfillResult value) {
        failure = error;
        result = value;
      });
  loop.run();
  if (failure) std::rethrow_exception(failure);
  fmt::print("fetched {} bars in {} requests ({} retries); {} bars the venue does not have\n",
             result.bars, result.requests, result.retries, result.still_missing);
  return kExitOk;
}

}  // namespace

void add_data_commands(CLI::App& app, int& exit_code) {
  CLI::App* data =
      app.add_subcommand("data", "Import, check, resample, list and export bars at rest");
  data->require_subcommand(1);

  auto import_options = std::make_shared<ImportOptions>();
  CLI::App* import_command = data->add_subcommand(
      "import",
      "Import bar files (freqtrade JSON, LEAN, HistData, CSV with a header; gzip or plain)");
  import_command->add_option("PATH", import_options->paths, "Files or directories")->required();
  add_root(import_command, import_options->series);
  import_command->add_option("--symbol", import_options->series.symbol,
                             "Override the symbol from the file name");
  import_command->add_option("--timeframe", import_options->series.timeframe,
                             "Override the timeframe");
  import_command->add_option("--venue", import_options->series.venue,
                             "Override the venue (default: from the path, else local)");
  import_command->add_option(
      "--domain", import_options->series.domain,
      "Override the domain (default: perp for futures, forex for fiat pairs, else spot)");
  import_command->callback(
      [import_options, &exit_code] { exit_code = run_import(*import_options); });

  auto check_options = std::make_shared<ImportOptions>();
  CLI::App* check_command = data->add_subcommand("check",
                                                 "Report gaps, duplicates and bad rows of files "
                                                 "(PATH...) or of stored series; exit 1 when any");
  check_command->add_option("PATH", check_options->paths, "Files or directories (else the store)");
  add_series(check_command, check_options->series, false);
  check_command->add_option("--timeframe", check_options->series.timeframe, "Timeframe");
  check_command->callback([check_options, &exit_code] { exit_code = run_check(*check_options); });

  auto resample_options = std::make_shared<ResampleOptions>();
  CLI::App* resample_command = data->add_subcommand(
      "resample", "Resample a stored series into a coarser timeframe, stored as a new series");
  add_series(resample_command, resample_options->series, true);
  resample_command->add_option("--from-tf", resample_options->from_timeframe, "Source timeframe")
      ->capture_default_str();
  resample_command->add_option("--to-tf", resample_options->to_timeframe, "Target timeframe")
      ->required();
  resample_command->callback(
      [resample_options, &exit_code] { exit_code = run_resample(*resample_options); });

  auto list_options = std::make_shared<SeriesOptions>();
  CLI::App* list_command =
      data->add_subcommand("list", "List the stored series with their bar counts and spans");
  add_root(list_command, *list_options);
  list_command->callback([list_options, &exit_code] { exit_code = run_list(*list_options); });

  auto fetch_options = std::make_shared<FetchOptions>();
  CLI::App* fetch_command = data->add_subcommand("fetch",
                                                 "Backfill bars from Bybit's REST API into the "
                                                 "store; resumable (fetches only what is missing)");
  add_series(fetch_command, fetch_options->series, true);
  fetch_command->get_option("--from")->required();
  fetch_command->add_option("--timeframe", fetch_options->series.timeframe, "Timeframe")
      ->required();
  fetch_command->add_option("--base-url", fetch_options->base_url, "Bybit REST base URL")
      ->capture_default_str();
  fetch_command->callback([fetch_options, &exit_code] { exit_code = run_fetch(*fetch_options); });

  auto export_options = std::make_shared<ExportOptions>();
  CLI::App* export_command = data->add_subcommand(
      "export", "Write a stored series as CSV: open_time_ms,open,high,low,close,volume");
  add_series(export_command, export_options->series, true);
  export_command->add_option("--timeframe", export_options->series.timeframe, "Timeframe")
      ->required();
  export_command->add_option("--out", export_options->out, "Output CSV file")->required();
  export_command->callback(
      [export_options, &exit_code] { exit_code = run_export(*export_options); });
}

}  // namespace gauntlet::apps
