// File: core/secrets.hpp
//
// Secrets (API keys, bot tokens) never come from the YAML config and are never logged. They
// are read from environment variables and, for names the environment leaves unset, from an
// optional KEY=VALUE file (config key `secrets_file`) that must lie outside the repository and
// be readable by its owner only (chmod 600). A Secret prints as "***" through fmt and
// iostreams; reveal() is for the one call that signs or authenticates.
//
// Names: GAUNTLET_BYBIT_API_KEY, GAUNTLET_BYBIT_API_SECRET, GAUNTLET_TELEGRAM_BOT_TOKEN.
//
// Threading: plain values.
#pragma once

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gauntlet {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

 private:
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const Secret& secret);

struct Secrets {
  Secret bybit_api_key;
  Secret bybit_api_secret;
  Secret telegram_bot_token;
};

inline constexpr std::array<std::string_view, 3> kSecretNames = {
    "GAUNTLET_BYBIT_API_KEY", "GAUNTLET_BYBIT_API_SECRET", "GAUNTLET_TELEGRAM_BOT_TOKEN"};

// Looks up an environment variable; nullopt when unset. Tests pass their own.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvironmentLookup process_environment();

// Reads the secrets from `environment`, then from `secrets_file` when it is not empty. Every
// problem with the file (missing, unreadable, readable by group or others, inside
// `repository_root`, a malformed line, an unknown name) is appended to `problems` as
// "secrets_file: problem (got path)"; secret values never appear in a problem.
Secrets load_secrets(const EnvironmentLookup& environment,
                     const std::filesystem::path& secrets_file,
                     const std::optional<std::filesystem::path>& repository_root,
                     std::vector<std::string>& problems);

// True when a config key looks like it holds a secret (api_key, token, password, ...).
bool looks_like_secret_key(std::string_view key);

}  // namespace gauntlet

template <>
struct fmt::formatter<gauntlet::Secret> : fmt::formatter<std::string_view> {
  auto format(const gauntlet::Secret& secret, fmt::format_context& context) const {
    return fmt::formatter<std::string_view>::format(secret.empty() ? "<unset>" : "***", context);
  }
};
