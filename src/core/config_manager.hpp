// File: core/config_manager.hpp
//
// ConfigManager, the configuration's single source of truth (seed 001 §1.2): loads a YAML file
// under config/ into the typed Config of core/config.hpp, validates it and refuses to start on
// any problem, reporting every problem at once as "path: problem (got value)", e.g.
//   risk.spot.risk_fraction: must be in (0, 0.05] (got 0.5)
//   exploration.rotaton: unknown key (did you mean rotation?)
// A file may start with `extends: <file>` to override another (paths relative to itself); maps
// merge key by key, lists and scalars replace. Missing keys keep the defaults of config.hpp.
// Secrets come from core/secrets.hpp only: a secret-looking key in the YAML is a problem.
//
// Hot reload: reload() re-reads the file; when the whole file is valid the reloadable sections
// (risk, exploration, exposure_caps) take effect under a new version tag and every other change
// is reported as needing a restart; an invalid file is rejected and the old config stays.
//
// Threading: thread-safe. snapshot() hands out an immutable Config that stays valid and
// consistent across reloads.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/secrets.hpp"

namespace gauntlet {

struct ReloadResult {
  bool applied = false;                    // reloadable sections changed and are in effect
  std::string version;                     // the version in effect after the call
  std::vector<std::string> problems;       // why the file was rejected; the old config stays
  std::vector<std::string> needs_restart;  // changed sections that only a restart applies
};

class ConfigManager {
 public:
  struct Options {
    EnvironmentLookup environment = process_environment();
  };

  // Loads and validates `path`; throws ConfigError listing every problem.
  explicit ConfigManager(std::filesystem::path path);
  ConfigManager(std::filesystem::path path, Options options);

  ConfigManager(const ConfigManager&) = delete;
  ConfigManager& operator=(const ConfigManager&) = delete;

  std::shared_ptr<const config::Config> snapshot() const;
  // The normalised section as JSON (defaults included); throws ConfigError for an unknown name.
  nlohmann::json get(std::string_view section) const;
  // The assets enabled for new trading: spot and/or perp by exchange_profile, forex and options
  // by their toggles. Positions of disabled assets are still reconciled and managed.
  std::vector<Asset> get_assets() const;
  config::RiskLimits get_risk(Asset asset) const;
  // "v<generation>-<hash of the normalised config>", e.g. "v1-3f2a9c01".
  std::string version() const;
  const Secrets& secrets() const { return secrets_; }
  const std::filesystem::path& source() const { return source_; }

  // True when the file's size or modification time changed since it was last read.
  bool source_changed() const;
  ReloadResult reload();
  // Called after every applied reload, with the new config, on the reloading thread.
  void on_reload(std::function<void(const config::Config&)> callback);

 private:
  struct FileStamp {
    std::filesystem::file_time_type modified;
    std::uintmax_t size = 0;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };

  FileStamp stamp() const;

  std::filesystem::path source_;
  Options options_;
  Secrets secrets_;
  mutable std::mutex mutex_;
  std::shared_ptr<const config::Config> config_;
  int generation_ = 1;
  FileStamp stamp_;
  std::vector<std::function<void(const config::Config&)>> listeners_;
};

// Parses and validates a config file without keeping it: the Config, or ConfigError with
// every problem. Secrets are read as ConfigManager does, into `secrets` when given.
config::Config load_config(const std::filesystem::path& path,
                           const EnvironmentLookup& environment = process_environment(),
                           Secrets* secrets = nullptr);

// The same from YAML text; `base_directory` resolves `extends:` and `secrets_file`.
config::Config parse_config(std::string_view yaml, const std::filesystem::path& base_directory,
                            const EnvironmentLookup& environment, Secrets* secrets = nullptr);

// A stable hash of the normalised config, as in version().
std::string config_hash(const config::Config& config);

}  // namespace gauntlet
