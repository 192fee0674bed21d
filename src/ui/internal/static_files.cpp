#include "ui/internal/static_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/text.hpp"
#include "ui/http_message.hpp"

namespace gauntlet::ui::internal {
namespace {

bool under_root(const std::filesystem::path& root, const std::filesystem::path& file) {
  const auto [root_end, file_end] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return root_end == root.end();
}

// `candidate` resolved (symlinks followed) if it exists under the root.
std::optional<std::filesystem::path> canonical_under(const std::filesystem::path& root,
                                                     const std::filesystem::path& candidate) {
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::canonical(candidate, error);
  if (error || !under_root(root, resolved)) return std::nullopt;
  return resolved;
}

}  // namespace

std::optional<std::filesystem::path> resolve_static_path(
    const std::filesystem::path& canonical_root, std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  const std::optional<std::string> decoded = percent_decode(path, false);
  if (!decoded) return std::nullopt;
  std::string_view rest(*decoded);
  rest.remove_prefix(1);
  if (rest.find('\0') != std::string_view::npos || rest.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  const bool directory = rest.empty() || rest.back() == '/';
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);

  std::filesystem::path relative;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment.front() == '.') return std::nullopt;
    relative /= std::string(segment);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  std::filesystem::path candidate = canonical_root / relative;
  if (directory) candidate /= "index.html";

  std::optional<std::filesystem::path> resolved = canonical_under(canonical_root, candidate);
  if (!resolved) return std::nullopt;
  std::error_code error;
  if (std::filesystem::is_directory(*resolved, error)) {
    resolved = canonical_under(canonical_root, *resolved / "index.html");
    if (!resolved) return std::nullopt;
  }
  if (!std::filesystem::is_regular_file(*resolved, error)) return std::nullopt;
  return resolved;
}

std::string_view content_type_for(const std::filesystem::path& file) {
  const std::string extension = to_lower(file.extension().string());
  if (extension == ".html" || extension == ".htm") return "text/html; charset=utf-8";
  if (extension == ".js" || extension == ".mjs") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".json" || extension == ".map") return "application/json";
  if (extension == ".png") return "image/png";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> read_static_file(const std::filesystem::path& file,
                                            std::size_t max_bytes) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(file, error);
  if (error || size > max_bytes) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || content.size() > max_bytes) return std::nullopt;
  return content;
}

}  // namespace gauntlet::ui::internal
