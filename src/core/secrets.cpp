#include "core/secrets.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <ostream>

#include "core/text.hpp"

namespace gauntlet {
namespace {

Secret* slot(Secrets& secrets, std::string_view name) {
  if (name == kSecretNames[0]) return &secrets.bybit_api_key;
  if (name == kSecretNames[1]) return &secrets.bybit_api_secret;
  if (name == kSecretNames[2]) return &secrets.telegram_bot_token;
  return nullptr;
}

bool is_inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  const auto relative = path.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Secret& secret) {
  return out << (secret.empty() ? "<unset>" : "***");
}

EnvironmentLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool looks_like_secret_key(std::string_view key) {
  const std::string name = to_lower(key);
  if (name.ends_with("_file") || name.ends_with("_path")) return false;
  for (std::string_view marker :
       {"api_key", "apikey", "secret", "token", "password", "passphrase", "private_key"}) {
    if (name.find(marker) != std::string::npos) return true;
  }
  return false;
}

Secrets load_secrets(const EnvironmentLookup& environment,
                     const std::filesystem::path& secrets_file,
                     const std::optional<std::filesystem::path>& repository_root,
                     std::vector<std::string>& problems) {
  Secrets secrets;
  for (std::string_view name : kSecretNames) {
    if (auto value = environment(std::string(name)); value && !value->empty()) {
      *slot(secrets, name) = Secret(std::move(*value));
    }
  }
  if (secrets_file.empty()) return secrets;

  const std::string shown = secrets_file.string();
  auto report = [&](const std::string& problem) {
    problems.push_back("secrets_file: " + problem + " (got " + shown + ")");
  };
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(secrets_file, error);
  struct stat status {};
  if (error || ::stat(resolved.c_str(), &status) != 0) {
    report("file does not exist");
    return secrets;
  }
  if (!S_ISREG(status.st_mode)) {
    report("not a regular file");
    return secrets;
  }
  if (repository_root) {
    const auto root = std::filesystem::weakly_canonical(*repository_root, error);
    if (!error && is_inside(resolved, root)) {
      report("must lie outside the repository " + root.string() + ", where it could be committed");
      return secrets;
    }
  }
  if ((status.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    report(std::string("readable by group or others (mode ") + mode + "); chmod 600 it");
    return secrets;
  }
  std::ifstream in(resolved);
  if (!in) {
    report("cannot be read");
    return secrets;
  }
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) {
      report("line " + std::to_string(line_number) + " is not NAME=VALUE");
      continue;
    }
    const std::string_view name = trim(text.substr(0, equals));
    std::string_view value = trim(text.substr(equals + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    Secret* target = slot(secrets, name);
    if (target == nullptr) {
      report("line " + std::to_string(line_number) + " names unknown secret " + std::string(name));
      continue;
    }
    if (target->empty()) *target = Secret(std::string(value));  // the environment wins
  }
  return secrets;
}

}  // namespace gauntlet
