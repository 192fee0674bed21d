// Static file resolution: index.html for / and directories, content types, and every way out
// of the root refused (.., encoded .., absolute paths, dot files, NUL, backslash, symlinks).
#include "ui/internal/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.hpp"

namespace gauntlet::ui::internal {
namespace {

using testing::TempDir;

struct StaticFiles : ::testing::Test {
  StaticFiles() {
    dir.write("www/index.html", "<html></html>");
    dir.write("www/app.js", "console.log(1)");
    dir.write("www/sub/index.html", "sub");
    dir.write("www/sub/page.css", "body{}");
    dir.write("www/.env", "SECRET=1");
    dir.write("secret.txt", "outside");
    std::filesystem::create_symlink(dir.path() / "secret.txt", dir.path() / "www" / "escape.txt");
    std::filesystem::create_symlink(dir.path(), dir.path() / "www" / "up");
    std::filesystem::create_symlink(dir.path() / "www" / "app.js", dir.path() / "www" / "link.js");
    root = std::filesystem::canonical(dir.path() / "www");
  }
  std::optional<std::filesystem::path> resolve(std::string_view path) const {
    return resolve_static_path(root, path);
  }
  TempDir dir;
  std::filesystem::path root;
};

TEST_F(StaticFiles, ServesFilesAndDirectoryIndexes) {
  EXPECT_EQ(resolve("/"), root / "index.html");
  EXPECT_EQ(resolve("/index.html"), root / "index.html");
  EXPECT_EQ(resolve("/app.js"), root / "app.js");
  EXPECT_EQ(resolve("/%61pp.js"), root / "app.js");
  EXPECT_EQ(resolve("/sub/"), root / "sub" / "index.html");
  EXPECT_EQ(resolve("/sub"), root / "sub" / "index.html");
  EXPECT_EQ(resolve("/sub/page.css"), root / "sub" / "page.css");
  EXPECT_EQ(resolve("/link.js"), root / "app.js");  // a symlink inside the root is fine
}

TEST_F(StaticFiles, RefusesEverythingOutsideTheRoot) {
  for (const char* path : {"/../secret.txt",
                           "/%2e%2e/secret.txt",
                           "/%2E%2E%2Fsecret.txt",
                           "/sub/../../secret.txt",
                           "/..",
                           "/./app.js",
                           "//etc/passwd",
                           "/%2Fetc/passwd",
                           "/.env",
                           "/sub/.%2e/app.js",
                           "/escape.txt",
                           "/up/secret.txt",
                           "/app.js%00.html",
                           "/..\\secret.txt",
                           "/sub\\page.css",
                           "/missing.js",
                           "/%zz",
                           "",
                           "app.js",
                           "/sub//page.css"}) {
    EXPECT_FALSE(resolve(path).has_value()) << path;
  }
}

TEST_F(StaticFiles, NamesContentTypes) {
  EXPECT_EQ(content_type_for("a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("app.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("openapi.json"), "application/json");
  EXPECT_EQ(content_type_for("app.js.map"), "application/json");
  EXPECT_EQ(content_type_for("logo.png"), "image/png");
  EXPECT_EQ(content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("blob"), "application/octet-stream");
}

TEST_F(StaticFiles, ReadsWithinALimit) {
  EXPECT_EQ(read_static_file(root / "app.js", 1024), "console.log(1)");
  EXPECT_FALSE(read_static_file(root / "app.js", 3).has_value());
  EXPECT_FALSE(read_static_file(root / "missing", 1024).has_value());
}

}  // namespace
}  // namespace gauntlet::ui::internal
