#include "data/bar_import.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>

#include "core/exceptions.hpp"
#include "core/text.hpp"
#include "data/bar_checks.hpp"

namespace gauntlet::data {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 6> kKnownVenues = {"binance", "bybit",    "fxcm",
                                                          "oanda",   "histdata", "ibkr"};
constexpr std::array<std::string_view, 21> kFiat = {
    "USD", "EUR", "GBP", "JPY", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK",
    "SGD", "HKD", "MXN", "ZAR", "TRY", "PLN", "CNH", "HUF", "CZK", "ILS"};

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    fields.push_back(trim(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!trim(line).empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "20170102 020000" (HistData) or "20070330 00:00" (LEAN) as UTC ms, before any offset.
std::optional<TimestampMs> parse_compact_time(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  if (digits.size() != 14 && digits.size() != 12 && digits.size() != 8) return std::nullopt;
  digits.resize(14, '0');
  const std::string iso = digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" +
                          digits.substr(6, 2) + "T" + digits.substr(8, 2) + ":" +
                          digits.substr(10, 2) + ":" + digits.substr(12, 2) + "Z";
  try {
    return parse_iso8601(iso);
  } catch (const TimeError&) {
    return std::nullopt;
  }
}

// A time cell of a header CSV: integer ms (or seconds when it is below 1e11) or ISO-8601.
std::optional<TimestampMs> parse_time_cell(std::string_view text) {
  if (auto number = parse_int(text)) return *number < 100'000'000'000 ? *number * 1000 : *number;
  try {
    return parse_iso8601(text);
  } catch (const TimeError&) {
    return std::nullopt;
  }
}

std::optional<Timeframe> timeframe_from_name(std::string text) {
  text = to_lower(text);
  if (text == "minute" || text == "m1") return Timeframe::k1m;
  if (text == "hour" || text == "h1") return Timeframe::k1h;
  if (text == "daily" || text == "d1") return Timeframe::k1d;
  return timeframe_from_string(text);
}

std::optional<Symbol> symbol_from_name(const std::string& text) {
  try {
    return Symbol::parse(text);
  } catch (const SymbolError&) {
    return std::nullopt;
  }
}

// The last known venue named anywhere in the path ("lean_bybit", "binance_spot_long"), else
// "local".
std::string venue_in_path(const fs::path& path) {
  std::string venue = "local";
  for (const auto& part : path) {
    const std::string text = to_lower(part.string());
    for (std::string_view known : kKnownVenues) {
      if (text.find(known) != std::string::npos) venue = std::string(known);
    }
  }
  return venue;
}

// LEAN's security-type folders that name a domain; cfd leaves it to the symbol.
struct LeanSecurityType {
  std::string_view folder;
  std::optional<Asset> domain;
};
constexpr std::array<LeanSecurityType, 4> kLeanSecurityTypes = {{{"crypto", Asset::kSpot},
                                                                 {"cryptofuture", Asset::kPerp},
                                                                 {"forex", Asset::kForex},
                                                                 {"cfd", std::nullopt}}};

bool is_lean_resolution(std::string_view folder) {
  return folder == "minute" || folder == "hour" || folder == "daily" || folder == "second" ||
         folder == "tick";
}

// What a LEAN day file's name says: YYYYMMDD_trade or YYYYMMDD_quote, or, for the CSV inside
// LEAN's zip, YYYYMMDD_<symbol>_<resolution>_trade (or _quote).
struct LeanDayName {
  std::string date;
  bool quote = false;
  std::string symbol;      // empty: the parent folder says it
  std::string resolution;  // empty: the grandparent folder says it, if anything does
};

// A LEAN day file names at most its date, symbol and resolution; the folders above it name the
// rest, as LEAN lays them out: <securityType>/<market>/<resolution>/<symbol>/<file>. The
// symbol is the parent folder; the timeframe the grandparent when it is a LEAN resolution; the
// venue the market folder when a LEAN security type sits above it, else a known venue in the
// path; the domain the security type's, else the symbol's default.
void guess_lean_day_file(const fs::path& path, const LeanDayName& name, ImportGuess& guess) {
  const fs::path file = fs::absolute(path).lexically_normal();
  std::vector<std::string> folders;  // nearest first: symbol, resolution, market, security type
  for (fs::path folder = file.parent_path(); folders.size() < 4 && folder.has_relative_path();
       folder = folder.parent_path()) {
    folders.push_back(to_lower(folder.filename().string()));
  }
  folders.resize(4);
  guess.day = parse_compact_time(name.date);
  guess.venue = venue_in_path(file);
  guess.symbol = symbol_from_name(name.symbol.empty() ? folders[0] : name.symbol);
  if (is_lean_resolution(folders[1])) {
    for (const LeanSecurityType& type : kLeanSecurityTypes) {
      if (folders[3] == type.folder && !folders[2].empty()) {
        guess.venue = folders[2];
        guess.domain = type.domain;
      }
    }
  }
  const std::string resolution = !name.resolution.empty()         ? name.resolution
                                 : is_lean_resolution(folders[1]) ? folders[1]
                                                                  : std::string();
  if (resolution == "second" || resolution == "tick") {
    throw DataError(fmt::format("{}: holds LEAN {} data; the finest timeframe stored is 1m",
                                path.filename().string(), resolution));
  }
  if (!resolution.empty()) guess.timeframe = timeframe_from_name(resolution);
  const Asset domain = guess.domain   ? *guess.domain
                       : guess.symbol ? default_domain(*guess.symbol)
                                      : Asset::kSpot;
  if (name.quote && domain != Asset::kForex) {
    throw DataError(
        fmt::format("{}: holds quote bars; crypto series are built from trades: "
                    "import the _trade file",
                    path.filename().string()));
  }
}

// Collects the rows of a freqtrade JSON file as text, so numbers keep their exact digits.
class JsonRows : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<std::vector<std::string>> rows;

  bool null() override { return value("null"); }
  bool boolean(bool) override { return value("bool"); }
  bool number_integer(number_integer_t number) override { return value(std::to_string(number)); }
  bool number_unsigned(number_unsigned_t number) override { return value(std::to_string(number)); }
  bool number_float(number_float_t, const string_t& text) override { return value(text); }
  bool string(string_t& text) override { return value(text); }
  bool binary(binary_t&) override { return value("binary"); }
  bool start_object(std::size_t) override { return false; }
  bool key(string_t&) override { return false; }
  bool end_object() override { return false; }
  bool start_array(std::size_t) override {
    if (++depth_ == 2) rows.emplace_back();
    return depth_ <= 2;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    message = fmt::format("at byte {}: {}", position, error.what());
    return false;
  }
  std::string message;

 private:
  bool value(std::string text) {
    if (depth_ != 2) return false;
    rows.back().push_back(std::move(text));
    return true;
  }
  int depth_ = 0;
};

// Builds a bar from text cells, or says why the row is rejected.
class RowReader {
 public:
  explicit RowReader(ImportedBars& out) : out_(out) {}

  void add(TimestampMs time, std::string_view open, std::string_view high, std::string_view low,
           std::string_view close, std::string_view volume,
           std::optional<std::string_view> turnover, std::string_view line) {
    ++out_.rows;
    for (std::string_view cell : {open, high, low, close, volume}) {
      const std::string text = to_lower(cell);
      if (text == "nan" || text == "-nan" || text == "inf" || text == "-inf")
        return reject("NaN or infinite value", line);
      if (text == "null" || text.empty()) return reject("missing value", line);
    }
    try {
      Bar bar{time,
              Decimal::parse(open, Rounding::kHalfEven),
              Decimal::parse(high, Rounding::kHalfEven),
              Decimal::parse(low, Rounding::kHalfEven),
              Decimal::parse(close, Rounding::kHalfEven),
              Decimal::parse(volume, Rounding::kHalfEven),
              Decimal::zero()};
      bar.turnover =
          turnover ? Decimal::parse(*turnover, Rounding::kHalfEven) : bar.volume * bar.close;
      out_.bars.push_back(bar);
    } catch (const DecimalError&) {
      reject("unparsable number", line);
    }
  }

  void reject(const std::string& reason, std::string_view line) {
    ++out_.rejected;
    ++out_.rejected_by_reason[reason];
    if (out_.examples.size() < 10)
      out_.examples.push_back(fmt::format("{}: {}", reason, line.substr(0, 120)));
  }

 private:
  ImportedBars& out_;
};

void read_freqtrade(std::string_view text, ImportedBars& out) {
  JsonRows rows;
  if (!nlohmann::json::sax_parse(text, &rows) && !rows.message.empty()) {
    throw DataError("freqtrade JSON is malformed " + rows.message);
  }
  RowReader reader(out);
  for (const auto& row : rows.rows) {
    const std::string shown = fmt::format("[{}]", fmt::join(row, ","));
    const auto time = row.empty() ? std::nullopt : parse_int(row[0]);
    if (row.size() < 6 || !time) {
      ++out.rows;
      reader.reject("unparsable row", shown);
      continue;
    }
    reader.add(*time, row[1], row[2], row[3], row[4], row[5], std::nullopt, shown);
  }
}

void read_lean(std::string_view text, const ImportGuess& guess, ImportedBars& out) {
  RowReader reader(out);
  for (std::string_view line : lines_of(text)) {
    const auto fields = split(line, ',');
    std::optional<TimestampMs> time;
    if (guess.format == BarFileFormat::kLeanMinute) {
      if (auto ms = parse_int(fields[0]); ms && guess.day) time = *guess.day + *ms;
    } else {
      time = parse_compact_time(fields[0]);
    }
    if (!time || (fields.size() != 6 && fields.size() != 11)) {
      ++out.rows;
      reader.reject("unparsable row", line);
      continue;
    }
    // Trade bars: OHLCV. Quote bars: the bid's OHLC and its last size (as volume is unknown).
    const std::string_view volume = fields.size() == 6 ? fields[5] : std::string_view("0");
    reader.add(*time + guess.utc_offset, fields[1], fields[2], fields[3], fields[4], volume,
               std::nullopt, line);
  }
}

void read_histdata(std::string_view text, const ImportGuess& guess, ImportedBars& out) {
  RowReader reader(out);
  for (std::string_view line : lines_of(text)) {
    const auto fields = split(line, ';');
    const auto time = parse_compact_time(fields[0]);
    if (!time || fields.size() != 6) {
      ++out.rows;
      reader.reject("unparsable row", line);
      continue;
    }
    reader.add(*time + guess.utc_offset, fields[1], fields[2], fields[3], fields[4], fields[5],
               std::nullopt, line);
  }
}

// Where a header CSV keeps its cells; DataError when the header lacks a time column or OHLC.
struct HeaderColumns {
  static constexpr std::size_t kAbsent = std::string::npos;
  char delimiter = ',';
  std::size_t count = 0;
  std::size_t time = kAbsent, open = kAbsent, high = kAbsent, low = kAbsent, close = kAbsent;
  std::size_t volume = kAbsent, turnover = kAbsent;
};

HeaderColumns header_columns(std::string_view header_line) {
  HeaderColumns columns;
  columns.delimiter = header_line.find(';') != std::string_view::npos &&
                              header_line.find(',') == std::string_view::npos
                          ? ';'
                          : ',';
  const auto header = split(header_line, columns.delimiter);
  columns.count = header.size();
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[to_lower(header[i])] = i;
  auto find = [&column](const char* name) {
    const auto found = column.find(name);
    return found == column.end() ? HeaderColumns::kAbsent : found->second;
  };
  for (const char* name :
       {"open_time_ms", "open_time", "timestamp", "time", "date", "datetime", ""}) {
    columns.time = find(name);
    if (columns.time != HeaderColumns::kAbsent) break;
  }
  for (const char* needed : {"open", "high", "low", "close"}) {
    if (find(needed) == HeaderColumns::kAbsent) {
      throw DataError(
          fmt::format("the CSV header has no \"{}\" column (got: {})", needed, header_line));
    }
  }
  if (columns.time == HeaderColumns::kAbsent)
    throw DataError(fmt::format("the CSV header has no time column (got: {})", header_line));
  columns.open = find("open");
  columns.high = find("high");
  columns.low = find("low");
  columns.close = find("close");
  columns.volume = find("volume");
  columns.turnover = find("turnover");
  return columns;
}

void read_header_csv(std::string_view text, const ImportGuess& guess, ImportedBars& out) {
  const auto lines = lines_of(text);
  if (lines.empty()) return;
  const HeaderColumns column = header_columns(lines[0]);
  constexpr std::size_t kAbsent = HeaderColumns::kAbsent;
  RowReader reader(out);
  for (std::size_t l = 1; l < lines.size(); ++l) {
    const auto fields = split(lines[l], column.delimiter);
    const auto time =
        fields.size() == column.count ? parse_time_cell(fields[column.time]) : std::nullopt;
    if (!time) {
      ++out.rows;
      reader.reject("unparsable row", lines[l]);
      continue;
    }
    reader.add(*time + guess.utc_offset, fields[column.open], fields[column.high],
               fields[column.low], fields[column.close],
               column.volume != kAbsent ? fields[column.volume] : std::string_view("0"),
               column.turnover != kAbsent ? std::optional(fields[column.turnover]) : std::nullopt,
               lines[l]);
  }
}

// The most common spacing between consecutive bars.
std::optional<Timeframe> infer_timeframe(const std::vector<Bar>& bars) {
  std::map<DurationMs, std::size_t> spacing;
  for (std::size_t i = 1; i < bars.size(); ++i)
    ++spacing[bars[i].open_time - bars[i - 1].open_time];
  std::optional<Timeframe> best;
  std::size_t best_count = 0;
  for (Timeframe timeframe : kAllTimeframes) {
    const auto found = spacing.find(duration_ms(timeframe));
    if (found != spacing.end() && found->second > best_count) {
      best = timeframe;
      best_count = found->second;
    }
  }
  return best;
}

}  // namespace

std::string_view to_string(BarFileFormat format) {
  switch (format) {
    case BarFileFormat::kFreqtradeJson:
      return "freqtrade JSON";
    case BarFileFormat::kLeanMinute:
      return "LEAN minute CSV";
    case BarFileFormat::kLeanDated:
      return "LEAN dated CSV";
    case BarFileFormat::kHistdataAscii:
      return "HistData ASCII";
    case BarFileFormat::kHeaderCsv:
      return "CSV with a header";
  }
  return "unknown";
}

std::string read_maybe_gzip(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw DataError(fmt::format("cannot open {}", path.string()));
  std::string content;
  std::array<char, 1 << 16> buffer{};
  int got = 0;
  while ((got = gzread(file, buffer.data(), buffer.size())) > 0)
    content.append(buffer.data(), static_cast<std::size_t>(got));
  const bool failed = got < 0;
  gzclose(file);
  if (failed) throw DataError(fmt::format("cannot read {}: corrupt gzip data", path.string()));
  return content;
}

std::vector<std::pair<TimestampMs, double>> read_funding_rates(const fs::path& path) {
  const nlohmann::json rows = nlohmann::json::parse(read_maybe_gzip(path), nullptr, false);
  if (!rows.is_array()) {
    throw DataError(fmt::format("{}: not a JSON array of funding rows", path.string()));
  }
  std::vector<std::pair<TimestampMs, double>> rates;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = rows[i];
    if (!row.is_array() || row.size() < 2 || !row[0].is_number() || !row[1].is_number()) {
      throw DataError(
          fmt::format("{}: row {} is not [funding_time_ms, rate, ...]", path.string(), i + 1));
    }
    const double rate = row[1].get<double>();
    if (!std::isfinite(rate) || std::abs(rate) > 0.1) {
      throw DataError(
          fmt::format("{}: row {} has an implausible funding rate {}", path.string(), i + 1, rate));
    }
    rates.emplace_back(row[0].get<TimestampMs>(), rate);
  }
  return rates;
}

Asset default_domain(const Symbol& symbol) {
  auto fiat = [](std::string_view currency) {
    return std::find(kFiat.begin(), kFiat.end(), currency) != kFiat.end();
  };
  const bool metal = symbol.base() == "XAU" || symbol.base() == "XAG";
  return (fiat(symbol.base()) || metal) && fiat(symbol.quote()) ? Asset::kForex : Asset::kSpot;
}

ImportGuess guess_import(const fs::path& path) {
  ImportGuess guess;
  guess.venue = venue_in_path(path);
  static const std::regex kLeanZip(R"(^\d{8}_(trade|quote)\.zip$)");
  if (std::regex_match(path.filename().string(), kLeanZip)) {
    throw DataError(fmt::format("{}: a LEAN zip archive; unzip it: the CSV inside imports as it is",
                                path.filename().string()));
  }
  std::string name = path.filename().string();
  for (const char* suffix : {".gz", ".json", ".csv", ".txt"}) {
    if (name.ends_with(suffix)) name.resize(name.size() - std::string_view(suffix).size());
  }
  std::smatch match;
  static const std::regex kFreqtrade(
      R"(^([A-Za-z0-9]+)_([A-Za-z0-9]+)(?:_([A-Za-z0-9]+))?-(\d+[mhdw])(?:-([a-z_]+))?$)");
  static const std::regex kLeanCrypto(
      R"(^(spot|perp)_([a-z0-9]+)_(minute|hour|daily)_(\d{8})_(trade|quote)$)");
  static const std::regex kLean(
      R"(^([a-z]+)_(minute|hour|daily)_([a-z0-9]+)_(\d{8})_(trade|quote)$)");
  static const std::regex kLeanHour(R"(^([a-z]+)_(hour|daily)_([a-z0-9]+)$)");
  static const std::regex kHistdata(R"(^DAT_ASCII_([A-Z]{6})_(M1|H1|D1)_\d+$)");
  static const std::regex kFxcm(R"(^([a-z]{6})-(m1|h1|d1)-(bid|ask)-\d+$)");
  static const std::regex kLeanDay(R"(^(\d{8})_(trade|quote)$)");
  static const std::regex kLeanDayInZip(
      R"(^(\d{8})_([a-z0-9]+)_(minute|hour|daily|second|tick)_(trade|quote)$)");
  bool lean_day_file = false;
  if (std::regex_match(name, match, kLeanDay)) {
    lean_day_file = true;
    guess_lean_day_file(path, {match[1].str(), match[2].str() == "quote", "", ""}, guess);
  } else if (std::regex_match(name, match, kLeanDayInZip)) {
    lean_day_file = true;
    guess_lean_day_file(
        path, {match[1].str(), match[4].str() == "quote", match[2].str(), match[3].str()}, guess);
  } else if (std::regex_match(name, match, kFreqtrade)) {
    const std::string kind = match[5].str();
    if (!kind.empty() && kind != "futures" && kind != "spot") {
      throw DataError(
          fmt::format("{}: holds {} data, not traded bars", path.filename().string(), kind));
    }
    guess.symbol = symbol_from_name(match[1].str() + "/" + match[2].str());
    guess.timeframe = timeframe_from_string(match[4].str());
    if (match[3].matched || kind == "futures") guess.domain = Asset::kPerp;
  } else if (std::regex_match(name, match, kLeanCrypto)) {
    if (match[5].str() == "quote") {
      throw DataError(
          fmt::format("{}: holds quote bars; crypto series are built from trades: "
                      "import the _trade file",
                      path.filename().string()));
    }
    guess.domain = match[1].str() == "perp" ? Asset::kPerp : Asset::kSpot;
    guess.symbol = symbol_from_name(match[2].str());
    guess.timeframe = timeframe_from_name(match[3].str());
    guess.day = parse_compact_time(match[4].str());
  } else if (std::regex_match(name, match, kLean)) {
    guess.venue = match[1].str();
    guess.timeframe = timeframe_from_name(match[2].str());
    guess.symbol = symbol_from_name(match[3].str());
    guess.day = parse_compact_time(match[4].str());
  } else if (std::regex_match(name, match, kLeanHour)) {
    guess.venue = match[1].str();
    guess.timeframe = timeframe_from_name(match[2].str());
    guess.symbol = symbol_from_name(match[3].str());
  } else if (std::regex_match(name, match, kHistdata)) {
    guess.venue = "histdata";
    guess.symbol = symbol_from_name(match[1].str());
    guess.timeframe = timeframe_from_name(match[2].str());
    guess.utc_offset = 5 * kHourMs;  // HistData: EST without daylight saving
  } else if (std::regex_match(name, match, kFxcm)) {
    if (match[3].str() == "ask") {
      throw DataError(
          fmt::format("{}: holds ask-side bars; import the bid file (forex bars are kept "
                      "on the bid, as HistData and FXCM publish them)",
                      path.filename().string()));
    }
    guess.symbol = symbol_from_name(match[1].str());
    guess.timeframe = timeframe_from_name(match[2].str());
  } else {
    guess.symbol = symbol_from_name(name);
  }
  if (guess.symbol && !guess.domain) guess.domain = default_domain(*guess.symbol);

  const std::string content = read_maybe_gzip(path);
  const std::string_view head = trim(std::string_view(content).substr(0, 4096));
  const std::string_view first_line = head.substr(0, head.find('\n'));
  static const std::regex kHistdataLine(R"(^\d{8} \d{6};.*)");
  static const std::regex kLeanDatedLine(R"(^\d{8} \d{2}:\d{2},.*)");
  const std::string line(trim(first_line));
  if (head.starts_with('[')) {
    guess.format = BarFileFormat::kFreqtradeJson;
  } else if (std::regex_match(line, kHistdataLine)) {
    guess.format = BarFileFormat::kHistdataAscii;
  } else if (std::regex_match(line, kLeanDatedLine)) {
    guess.format = BarFileFormat::kLeanDated;
  } else if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])) && guess.day) {
    guess.format = BarFileFormat::kLeanMinute;
  } else if (!line.empty() && std::any_of(line.begin(), line.end(), [](char c) {
               return std::isalpha(static_cast<unsigned char>(c));
             })) {
    guess.format = BarFileFormat::kHeaderCsv;
    try {
      header_columns(line);
    } catch (const DataError& error) {
      throw DataError(
          fmt::format("{}: not a bar file: {}", path.filename().string(), error.what()));
    }
  } else {
    throw DataError(fmt::format("{}: cannot tell the format from its first line: {}",
                                path.filename().string(), line.substr(0, 80)));
  }
  // LEAN writes ms-since-midnight rows for minute (and finer) data only.
  if (lean_day_file && !guess.timeframe && guess.format == BarFileFormat::kLeanMinute)
    guess.timeframe = Timeframe::k1m;
  return guess;
}

ImportedBars read_bar_file(const fs::path& path, const ImportGuess& guess,
                           std::optional<Timeframe> timeframe) {
  ImportedBars out;
  const std::string content = read_maybe_gzip(path);
  switch (guess.format) {
    case BarFileFormat::kFreqtradeJson:
      read_freqtrade(content, out);
      break;
    case BarFileFormat::kLeanMinute:
    case BarFileFormat::kLeanDated:
      read_lean(content, guess, out);
      break;
    case BarFileFormat::kHistdataAscii:
      read_histdata(content, guess, out);
      break;
    case BarFileFormat::kHeaderCsv:
      read_header_csv(content, guess, out);
      break;
  }
  const auto chosen = timeframe         ? timeframe
                      : guess.timeframe ? guess.timeframe
                                        : infer_timeframe(out.bars);
  if (!chosen)
    throw DataError(fmt::format("{}: cannot tell the timeframe; pass --timeframe", path.string()));
  out.timeframe = *chosen;
  // Reject what no store would accept, counting by reason.
  std::vector<Bar> good;
  good.reserve(out.bars.size());
  for (const Bar& bar : out.bars) {
    if (auto problem = bar_problem(bar, out.timeframe)) {
      ++out.rejected;
      ++out.rejected_by_reason[*problem];
      if (out.examples.size() < 10)
        out.examples.push_back(fmt::format("{}: {}", *problem, format_iso8601(bar.open_time)));
    } else {
      good.push_back(bar);
    }
  }
  out.bars = std::move(good);
  return out;
}

void write_bar_csv(std::ostream& out, const BarSeries& bars) {
  out << "open_time_ms,open,high,low,close,volume\n";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar bar = bars.bar(i);
    out << bar.open_time << ',' << bar.open << ',' << bar.high << ',' << bar.low << ',' << bar.close
        << ',' << bar.volume << '\n';
  }
}

}  // namespace gauntlet::data
