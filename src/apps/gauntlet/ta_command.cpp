// File: apps/gauntlet/ta_command.cpp
//
// `gauntlet ta`: technical indicators over a bar file, by the column names of TA-Lib's
// reference files (`sma_30`, `bb_upper_20_2`, ...), and `gauntlet ta --list`.
#include <fmt/format.h>
#include <zlib.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "apps/gauntlet/commands.hpp"
#include "core/exceptions.hpp"
#include "core/text.hpp"
#include "indicators/indicator_catalog.hpp"

namespace gauntlet::apps {
namespace {

namespace fs = std::filesystem;

struct TaOptions {
  std::string input;
  std::vector<std::string> columns;
  std::string out;
  bool list = false;
};

// Bars as read from the input: the open times and the five price/volume columns.
struct InputBars {
  std::vector<int64_t> open_time;
  std::vector<double> open, high, low, close, volume;
};

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  while (true) {
    const auto comma = line.find(',');
    cells.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return cells;
}

// Every line of a plain or gzip-compressed text file (zlib reads both).
std::vector<std::string> read_lines(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw DataError(fmt::format("{}: cannot open", path));
  std::vector<std::string> lines;
  std::string line;
  char buffer[8192];
  while (gzgets(file, buffer, sizeof buffer) != nullptr) {
    line += buffer;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      line.clear();
    }
  }
  int error = Z_OK;
  const char* message = gzerror(file, &error);
  const std::string problem = error != Z_OK && error != Z_STREAM_END ? message : "";
  gzclose(file);
  if (!problem.empty()) throw DataError(fmt::format("{}: {}", path, problem));
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

InputBars read_input(const std::string& path) {
  const std::vector<std::string> lines = read_lines(path);
  if (lines.empty()) throw DataError(fmt::format("{}: empty file, expected a header", path));
  const auto header = split(lines[0]);
  const char* names[] = {"open_time_ms", "open", "high", "low", "close", "volume"};
  std::size_t index[6];
  for (std::size_t n = 0; n < 6; ++n) {
    index[n] = header.size();
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (to_lower(trim(header[c])) == names[n]) index[n] = c;
    }
    if (index[n] == header.size()) {
      throw DataError(fmt::format(
          "{}: no column '{}' in the header (expected open_time_ms,open,high,low,close,volume)",
          path, names[n]));
    }
  }
  InputBars bars;
  std::vector<double>* targets[] = {nullptr,   &bars.open,  &bars.high,
                                    &bars.low, &bars.close, &bars.volume};
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (trim(lines[i]).empty()) continue;
    const auto cells = split(lines[i]);
    const std::size_t line_number = i + 1;
    for (std::size_t n = 0; n < 6; ++n) {
      if (index[n] >= cells.size()) {
        throw DataError(
            fmt::format("{} line {}: no value for column '{}'", path, line_number, names[n]));
      }
      const std::string_view cell = trim(cells[index[n]]);
      const char* end = cell.data() + cell.size();
      if (n == 0) {
        int64_t time = 0;
        const auto result = std::from_chars(cell.data(), end, time);
        if (result.ec != std::errc() || result.ptr != end) {
          throw DataError(fmt::format("{} line {}: open_time_ms is not an integer: '{}'", path,
                                      line_number, cell));
        }
        if (!bars.open_time.empty() && time <= bars.open_time.back()) {
          throw DataError(fmt::format(
              "{} line {}: open_time_ms {} is not after the previous row's {} (sort the file "
              "and remove duplicates)",
              path, line_number, time, bars.open_time.back()));
        }
        bars.open_time.push_back(time);
        continue;
      }
      double value = 0;
      const auto result = std::from_chars(cell.data(), end, value);
      if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
        throw DataError(fmt::format("{} line {}: {} is not a finite number: '{}'", path,
                                    line_number, names[n], cell));
      }
      targets[n]->push_back(value);
    }
  }
  return bars;
}

// The shortest text that reads back as the same double; empty for NaN (not defined yet).
void append_value(std::string& out, double value) {
  if (std::isnan(value)) return;
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

int run_ta(const TaOptions& options) {
  if (options.input.empty() || options.out.empty() || options.columns.empty()) {
    throw ArgumentError("gauntlet ta needs --input, --columns and --out (or --list)");
  }
  indicators::IndicatorSet set(options.columns);  // names checked before reading the input
  const InputBars bars = read_input(options.input);
  const std::size_t rows = bars.close.size();
  std::vector<std::vector<double>> values(options.columns.size(), std::vector<double>(rows));
  std::vector<std::span<double>> outputs(values.begin(), values.end());
  set.compute({bars.open, bars.high, bars.low, bars.close, bars.volume}, outputs);

  std::string text = "open_time_ms";
  for (const auto& column : options.columns) {
    text += ',';
    text += column;
  }
  text += '\n';
  for (std::size_t i = 0; i < rows; ++i) {
    text += std::to_string(bars.open_time[i]);
    for (const auto& column : values) {
      text += ',';
      append_value(text, column[i]);
    }
    text += '\n';
  }
  if (options.out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  // Written next to the target and renamed over it, so a reader never sees half a file.
  const fs::path target(options.out);
  const fs::path temporary = target.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!file) throw DataError(fmt::format("{}: cannot write", temporary.string()));
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) throw DataError(fmt::format("{}: cannot write: {}", target.string(), error.message()));
  fmt::print("wrote {} rows x {} indicator columns to {}\n", rows, options.columns.size(),
             target.string());
  return kExitOk;
}

std::string pattern(std::string_view output, const indicators::IndicatorInfo& info) {
  std::string text(output);
  for (const auto& parameter : info.parameters) text += fmt::format("_<{}>", parameter.name);
  return text;
}

std::string example(std::string_view output, const indicators::IndicatorInfo& info) {
  std::string text(output);
  for (const auto& parameter : info.parameters) text += fmt::format("_{}", parameter.default_value);
  return text;
}

int run_list() {
  for (const auto& info : indicators::indicator_catalog()) {
    fmt::print("{}{}: {}\n", info.key, info.talib ? "" : " (not in TA-Lib)", info.description);
    if (info.parameters.empty()) {
      fmt::print("  parameters: none\n");
    } else {
      std::string parameters;
      for (const auto& parameter : info.parameters) {
        if (!parameters.empty()) parameters += ", ";
        parameters +=
            fmt::format("{}={} ({}..{}{})", parameter.name, parameter.default_value,
                        parameter.minimum, parameter.maximum, parameter.integer ? "" : ", decimal");
      }
      fmt::print("  parameters: {}\n", parameters);
    }
    for (const auto output : info.outputs) {
      fmt::print("  column: {:<44} e.g. {}\n", pattern(output, info), example(output, info));
    }
  }
  fmt::print(
      "\nTrailing parameters may be left out and take their defaults (rsi = rsi_14). A cell is "
      "empty until the indicator is defined, exactly where TA-Lib leaves it empty.\n");
  return kExitOk;
}

}  // namespace

void add_ta_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TaOptions>();
  CLI::App* ta = app.add_subcommand(
      "ta", "Technical indicators over a bar CSV (open_time_ms,open,high,low,close,volume)");
  ta->add_option("--input", options->input, "Bar CSV (plain or .gz) with a header");
  ta->add_option("--columns", options->columns,
                 "Indicator columns, comma-separated: sma_30,rsi_14,bb_upper_20_2,...")
      ->delimiter(',');
  ta->add_option("--out", options->out, "Output CSV, or - for stdout");
  ta->add_flag("--list", options->list, "List the indicators, their parameters and columns");
  ta->callback(
      [options, &exit_code] { exit_code = options->list ? run_list() : run_ta(*options); });
}

}  // namespace gauntlet::apps
