// File: ui/internal/static_files.hpp
//
// The static side of the control-plane server: which file under the static root a URL path
// names, and its content type. Paths are decoded once and checked segment by segment: '..',
// '.', any other segment starting with '.', empty segments, NUL and backslashes are refused,
// and the resolved file (symlinks followed) must still lie under the root. A directory serves
// its index.html.
//
// Threading: pure functions over the file system.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace gauntlet::ui::internal {

// The regular file under `canonical_root` (a canonical path) that the raw URL `path` names,
// std::nullopt when there is none or it may not be served.
std::optional<std::filesystem::path> resolve_static_path(
    const std::filesystem::path& canonical_root, std::string_view path);

// The Content-Type of `file` by its extension: html, js, css, json, png, svg, map, txt, ico;
// application/octet-stream otherwise.
std::string_view content_type_for(const std::filesystem::path& file);

// The content of `file`, std::nullopt when it cannot be read or is larger than `max_bytes`.
std::optional<std::string> read_static_file(const std::filesystem::path& file,
                                            std::size_t max_bytes);

}  // namespace gauntlet::ui::internal
