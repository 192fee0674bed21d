// File: tests/ui/api_session.hpp
//
// The control-plane API over a real session, for the API tests:
//   Session       AppRuntime replaying real bars on its own thread (the engine thread) with the
//                 ApiServer on loopback port 0, as `gauntlet run --port 0` does; requests go
//                 through real sockets (test_client.hpp).
//   RealBarsTest  a fixture that imports three pairs of the shared Binance bars once per suite
//                 (with the gauntlet binary) and cuts short stores from them (window()); it skips,
//                 or fails under GAUNTLET_REQUIRE_SHARED_DATA=1, without the shared data.
//
// Threading: a Session's requests (get, call, wait_status) may come from any thread; one thread
// makes and destroys it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "runtime/app_runtime.hpp"
#include "support/temp_dir.hpp"
#include "ui/api_server.hpp"
#include "ui/test_client.hpp"

namespace gauntlet::testing::ui {

class Session {
 public:
  // Starts a session replaying `store` (state in `state`, validation reports read from
  // `reports`) with two quick spot candidates, at `replay_speed` market seconds a wall second
  // or as fast as it goes; returns once the API listens.
  Session(const std::filesystem::path& store, const std::filesystem::path& state,
          std::optional<double> replay_speed, const std::filesystem::path& reports);
  // Stops the session, then the API.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  unsigned short port() const { return port_; }
  const gauntlet::ui::Router& router() const { return api_->router(); }
  Headers bearer() const { return {{"Authorization", "Bearer " + token_}}; }
  Reply get(const std::string& target) const { return request(port_, "GET", target, bearer()); }
  Reply call(const std::string& method, const std::string& target) const {
    return request(port_, method, target, bearer());
  }
  // Polls GET /status until `done` holds or 60 s pass; returns the last status.
  nlohmann::json wait_status(const std::function<bool(const nlohmann::json&)>& done) const;

 private:
  std::unique_ptr<runtime::AppRuntime> runtime_;
  std::unique_ptr<gauntlet::ui::ApiServer> api_;
  std::thread engine_;
  std::atomic<bool> finished_{false};
  unsigned short port_ = 0;
  std::string token_;
};

class RealBarsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  // The first `days` of the imported store as its own store (a short replay), under `name`.
  static std::filesystem::path window(const std::string& name, int days);

  static TempDir* dir_;
  static std::filesystem::path store_;
};

}  // namespace gauntlet::testing::ui
