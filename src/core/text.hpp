// File: core/text.hpp
//
// Small ASCII text helpers shared by the parsers of config, secrets and data files.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace gauntlet {

// `text` with ASCII letters in lower case.
std::string to_lower(std::string_view text);
// `text` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

}  // namespace gauntlet
