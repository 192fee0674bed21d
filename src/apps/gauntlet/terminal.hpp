// File: apps/gauntlet/terminal.hpp
//
// Terminal output shared by the long-running commands (backtest, validate): a progress bar on
// stderr, redrawn in place on a terminal and printed as a line every 10 % otherwise (so logs
// and pipes stay readable), and plain-text tables for the summaries.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gauntlet::apps {

class ProgressBar {
 public:
  // `enabled` false draws nothing (--quiet).
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Draws the share done (0..1) with an optional note ("12/40").
  void update(double fraction, const std::string& note = {});
  // Draws 100 % and ends the line.
  void finish(const std::string& note = {});

 private:
  std::string label_;
  bool enabled_;
  bool terminal_;
  bool finished_ = false;
  int last_tenth_ = -1;
  int last_width_ = -1;
};

// A left-aligned first column and right-aligned others, with a rule under the header.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// "1.23", "inf", "-" (undefined); percent: "12.34%".
std::string format_number(std::optional<double> value, int decimals = 2);
std::string format_percent(std::optional<double> fraction, int decimals = 2);

}  // namespace gauntlet::apps
