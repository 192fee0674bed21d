#include "apps/gauntlet/terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gauntlet::apps {

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), terminal_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && terminal_ && !finished_ && last_width_ >= 0) std::fputc('\n', stderr);
}

void ProgressBar::update(double fraction, const std::string& note) {
  if (!enabled_ || finished_) return;
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::lround(fraction * kWidth));
  if (terminal_) {
    if (filled == last_width_ && note.empty()) return;
    last_width_ = filled;
    fmt::print(stderr, "\r{} [{}{}] {:5.1f}% {}", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), fraction * 100.0, note);
    std::fflush(stderr);
    return;
  }
  const int tenth = static_cast<int>(fraction * 10.0);
  if (tenth == last_tenth_) return;
  last_tenth_ = tenth;
  fmt::print(stderr, "{} {:3d}% {}\n", label_, tenth * 10, note);
}

void ProgressBar::finish(const std::string& note) {
  if (!enabled_ || finished_) return;
  if (terminal_) {
    update(1.0, note);
    std::fputc('\n', stderr);
  } else if (last_tenth_ < 10) {
    fmt::print(stderr, "{} 100% {}\n", label_, note);
  }
  finished_ = true;
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      if (c > 0) out += "  ";
      out += c == 0 ? fmt::format("{:<{}}", cell, width[c]) : fmt::format("{:>{}}", cell, width[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  std::size_t total = 0;
  for (std::size_t w : width) total += w;
  out += std::string(total + 2 * (width.size() - 1), '-') + "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string format_number(std::optional<double> value, int decimals) {
  if (!value) return "-";
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}f}", *value, decimals);
}

std::string format_percent(std::optional<double> fraction, int decimals) {
  if (!fraction) return "-";
  if (std::isinf(*fraction)) return *fraction > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}f}%", *fraction * 100.0, decimals);
}

}  // namespace gauntlet::apps
